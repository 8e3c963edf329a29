/**
 * Turns a request path into a GOPROXY protocol request, or says exactly what
 * is wrong with it. Paths are !-escaped module paths and versions; anything
 * that could climb out of the store (dot segments, encoded slashes,
 * backslashes, NUL) is refused before a module rule is even applied.
 *
 *   /<module>/@v/list
 *   /<module>/@v/<version>.info | .mod | .zip
 *   /<module>/@latest
 */
import { proxyError } from '../errors.ts';
import { rememberLast } from '../rememberLast.ts';
import {
  checkPathMajor,
  isCanonicalVersion,
  isIncompatibleQuery,
  splitPathVersion,
  unescapePath,
  unescapeVersion,
  type ModuleRequest,
} from '../protocol/index.ts';

/** Longer request paths are refused (module paths are far shorter in practice). */
export const MAX_REQUEST_PATH = 4096;

const VERSION_FILE = /^(.+)\.(info|mod|zip)$/;

/** Decodes the path of a URL (no query) segment by segment; throws a BAD_REQUEST ProxyError. */
export function decodeRequestPath(rawPath: string): string {
  if (rawPath.length > MAX_REQUEST_PATH) {
    throw proxyError('URI_TOO_LONG', `request path is ${rawPath.length} characters; at most ${MAX_REQUEST_PATH} are accepted`);
  }
  const segments = rawPath.split('/').slice(1);
  const decoded = segments.map((segment) => {
    let text: string;
    try {
      text = decodeURIComponent(segment);
    } catch {
      throw proxyError('BAD_REQUEST', `malformed percent-encoding in request path segment ${JSON.stringify(segment)}`);
    }
    if (text === '.' || text === '..') throw proxyError('BAD_REQUEST', `request path may not contain "${text}" segments`);
    if (/[/\\\0]/.test(text)) throw proxyError('BAD_REQUEST', `request path segment ${JSON.stringify(segment)} encodes a slash, backslash or NUL`);
    return text;
  });
  return decoded.join('/');
}

/**
 * parseRequestPath decodes and parses the raw path of a request URL (no query), as
 * decodeRequestPath and parseProtocolPath do, and remembers the last 1000 paths of at most 512
 * characters that parsed: a busy proxy is asked the same paths over and over, and checking a module
 * path by its rules costs a cached answer more than a tenth of its time (bench/README.md). A path
 * that does not parse is judged, and refused, every time. What it returns is frozen: callers share it.
 */
export const parseRequestPath: (rawPath: string) => Readonly<ModuleRequest> = rememberLast(
  1000,
  (rawPath: string) => Object.freeze(parseProtocolPath(decodeRequestPath(rawPath))),
  (rawPath) => rawPath.length <= 512,
);

/** Parses a decoded path (no leading slash) into a protocol request. */
export function parseProtocolPath(requestPath: string): ModuleRequest {
  const atV = requestPath.lastIndexOf('/@v/');
  if (requestPath.endsWith('/@latest')) {
    const module = moduleFrom(requestPath.slice(0, -'/@latest'.length));
    checkNameLengths(requestPath.slice(0, -'/@latest'.length).split('/'));
    return { kind: 'latest', module };
  }
  if (atV < 0) {
    throw proxyError('NOT_FOUND', `not a module proxy path: expected <module>/@v/list, <module>/@v/<version>.info|.mod|.zip or <module>/@latest`);
  }
  const module = moduleFrom(requestPath.slice(0, atV));
  checkNameLengths(requestPath.slice(0, atV).split('/'));
  const file = requestPath.slice(atV + '/@v/'.length);
  if (file === 'list') return { kind: 'list', module };
  const match = VERSION_FILE.exec(file);
  if (!match) {
    throw proxyError('NOT_FOUND', `not a module proxy path: ${JSON.stringify(file)} after /@v/ should be list or <version>.info, .mod or .zip`);
  }
  const version = versionFrom(match[1]!);
  checkNameLengths([`${match[1]!}${LONGEST_VERSION_FILE_SUFFIX}`]);
  checkVersionForModule(module, version, match[2]!);
  return { kind: match[2] as 'info' | 'mod' | 'zip', module, version };
}

/**
 * Every element of an escaped module path, and every file name of a version, is a file or folder
 * name in the store and in the go command's module cache: no file system holds a name over
 * MAX_NAME_BYTES bytes, so no such module can be stored, served or used.
 */
const MAX_NAME_BYTES = 255;
/** The longest name a version has in the store: "<escaped version>.ziphash". */
const LONGEST_VERSION_FILE_SUFFIX = '.ziphash';

function checkNameLengths(names: string[]): void {
  for (const name of names) {
    const bytes = Buffer.byteLength(name);
    if (bytes > MAX_NAME_BYTES) {
      throw proxyError(
        'BAD_REQUEST',
        `path element ${JSON.stringify(`${name.slice(0, 40)}…`)} is ${bytes} bytes long (as a file name, escaped); file systems, this proxy's store and the go command's module cache among them, hold at most ${MAX_NAME_BYTES}`,
      );
    }
  }
}

function moduleFrom(escaped: string): string {
  try {
    return unescapePath(escaped);
  } catch (err) {
    throw proxyError('BAD_REQUEST', `${(err as Error).message} (module paths are !-escaped: upper case letters are sent as "!" and the lower case letter)`);
  }
}

function versionFrom(escaped: string): string {
  try {
    return unescapeVersion(escaped);
  } catch (err) {
    throw proxyError('BAD_REQUEST', (err as Error).message);
  }
}

/** A canonical version must fit the module path's major version suffix (/v2 needs v2.x.y). */
function checkVersionForModule(module: string, version: string, kind: string): void {
  if (!isCanonicalVersion(version)) return;
  const split = splitPathVersion(module);
  if (!split) return;
  try {
    checkPathMajor(version, split.pathMajor);
  } catch (err) {
    // An .info request may be a query: "v3.0.0" of a path without /v3 resolves to v3.0.0+incompatible.
    if (kind === 'info' && isIncompatibleQuery(version, split.pathMajor)) return;
    throw proxyError('NOT_FOUND', `${module}@${version}: ${(err as Error).message}`);
  }
}
