/**
 * The API's query parameters, read strictly: each route names the parameters it takes, and an
 * unknown, repeated or malformed one is a 400 whose sentence says what to send instead (a typo
 * such as `limt=5` must not silently give the default).
 */
import type { FastifyRequest } from 'fastify';
import { checkModulePath, isCanonicalVersion } from '../../protocol/index.ts';
import { badRequest } from './apiReply.ts';

export type Query = Record<string, string>;

/** The query of a request, with only `allowed` names, each at most once. */
export function readQuery(request: FastifyRequest, allowed: readonly string[]): Query {
  const raw = request.query as Record<string, string | string[] | undefined>;
  const query: Query = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (!allowed.includes(name)) {
      throw badRequest(`unknown query parameter ${JSON.stringify(name)}; ${allowed.length > 0 ? `this URL takes ${allowed.join(', ')}` : 'this URL takes none'}`);
    }
    if (Array.isArray(value)) throw badRequest(`query parameter ${name} is given ${value.length} times; give it once`);
    if (value !== undefined) query[name] = value;
  }
  return query;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

/** `limit`: a whole number from 1 to 500, default 50. */
export function limitOf(query: Query): number {
  const text = query['limit'];
  if (text === undefined || text === '') return DEFAULT_LIMIT;
  const limit = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) throw badRequest(`limit=${JSON.stringify(text).slice(1, -1)} is not allowed; give a whole number from 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})`);
  return limit;
}

/** One of `choices`, the first being the default. */
export function choiceOf<T extends string>(query: Query, name: string, choices: readonly T[]): T {
  const value = query[name];
  if (value === undefined || value === '') return choices[0]!;
  if (!(choices as readonly string[]).includes(value)) throw badRequest(`${name}=${value.slice(0, 100)} is not allowed; give one of ${choices.join(', ')} (default ${choices[0]})`);
  return value as T;
}

/** `path`: a valid module path (required). */
export function modulePathOf(query: Query): string {
  const path = query['path'];
  if (path === undefined || path === '') throw badRequest('the module path is missing; give it as ?path=<module path>, e.g. ?path=github.com/acme/base');
  try {
    checkModulePath(path);
  } catch (err) {
    throw badRequest(`${(err as Error).message}; give a module path as the go command writes it, e.g. ?path=github.com/acme/base`);
  }
  return path;
}

/** `version`: a canonical version (required). */
export function versionOf(query: Query): string {
  const version = query['version'];
  if (version === undefined || version === '') throw badRequest('the version is missing; give it as &version=<version>, e.g. &version=v1.2.3');
  if (!isCanonicalVersion(version)) {
    throw badRequest(`version ${JSON.stringify(version.slice(0, 100))} is not a canonical version; give one as the go command lists it, e.g. v1.2.3 or v0.0.0-20240102150405-abcdef123456`);
  }
  return version;
}

/** `from`/`to` style times: RFC 3339; undefined when not given. */
export function timeOf(query: Query, name: string): number | undefined {
  const text = query[name];
  if (text === undefined || text === '') return undefined;
  const at = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(at)) throw badRequest(`${name}=${text.slice(0, 100)} is not a time; give an RFC 3339 time such as 2026-01-31T00:00:00Z, or a day such as 2026-01-31`);
  return at;
}
