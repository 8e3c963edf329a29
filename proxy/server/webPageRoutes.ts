/**
 * The web page: one HTML shell and the assets it names, built from proxy/web/src/ into
 * proxy/web/built/ (checked in; `npm run web` rebuilds it, a test fails when it is stale).
 *
 *   GET /, GET /ui/…            the shell (deep links are the page's own routes); no-cache, so a
 *                               new release is picked up on the next visit
 *   GET /assets/<name>.<hash>.<ext>
 *                               an asset; its name changes with its content, so it is cached
 *                               for a year and never revalidated
 *
 * None of these paths is a module path: a module path's first element has a dot, and `ui` and
 * `assets` have none. Each file is read and compressed (brotli and gzip) once, on its first
 * request, and kept: the page is a few tens of kilobytes, and the proxy's start stays as fast.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IMMUTABLE } from './cacheHeaders.ts';
import { sendText } from './sendText.ts';

/**
 * Where the built page is: beside the server's own folder, proxy/web/built/ in a checkout, and
 * web/built/ beside the bundle's dist/ in the image (scripts/buildProgram.ts).
 */
export const BUILT_WEB_PAGE = fileURLToPath(new URL('../web/built/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * The page loads only its own scripts and styles and talks only to this proxy: no inline script,
 * no other origin, not framed by another site.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

type Encoded = { identity: Buffer; br: Buffer; gzip: Buffer; contentType: string };

const compressBrotli = promisify(brotliCompress);
const compressGzip = promisify(gzip);

async function encode(file: string): Promise<Encoded> {
  const identity = await readFile(file);
  const [br, gz] = await Promise.all([
    compressBrotli(identity, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
    compressGzip(identity, { level: 9 }),
  ]);
  return { identity, br, gzip: gz, contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' };
}

/** The best encoding the client accepts: brotli, then gzip, else none (q=0 refuses one). */
export function chooseEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | 'identity' {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...parameters] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = parameters.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const weight = (name: string) => accepted.get(name) ?? (accepted.get('*') ?? 0);
  if (weight('br') > 0) return 'br';
  if (weight('gzip') > 0) return 'gzip';
  return 'identity';
}

/** Reads and compresses each file of the built page once, on first use. */
export class WebPageFiles {
  readonly #folder: string;
  readonly #files = new Map<string, Promise<Encoded>>();
  #assetNames: Promise<Set<string>> | undefined;

  constructor(folder: string = BUILT_WEB_PAGE) {
    this.#folder = folder;
  }

  shell(): Promise<Encoded> {
    return this.#file('index.html');
  }

  /** The asset of that name, or null when the build has none (any other name, including one with a path). */
  async asset(name: string): Promise<Encoded | null> {
    this.#assetNames ??= readdir(join(this.#folder, 'assets')).then((names) => new Set(names));
    if (!(await this.#assetNames).has(name)) return null;
    return this.#file(join('assets', name));
  }

  #file(relative: string): Promise<Encoded> {
    let file = this.#files.get(relative);
    if (!file) {
      file = encode(join(this.#folder, relative));
      // A failed read is not kept: the next request tries again.
      file.catch(() => this.#files.delete(relative));
      this.#files.set(relative, file);
    }
    return file;
  }
}

function sendEncoded(request: FastifyRequest, reply: FastifyReply, file: Encoded, cacheControl: string): FastifyReply {
  const encoding = chooseEncoding(request.headers['accept-encoding']);
  reply.header('content-type', file.contentType).header('cache-control', cacheControl).header('vary', 'accept-encoding').header('x-content-type-options', 'nosniff');
  if (encoding !== 'identity') reply.header('content-encoding', encoding);
  return reply.send(encoding === 'br' ? file.br : encoding === 'gzip' ? file.gzip : file.identity);
}

export function registerWebPageRoutes(app: FastifyInstance, files: WebPageFiles = new WebPageFiles()): void {
  const sendShell = async (request: FastifyRequest, reply: FastifyReply) => {
    let shell: Encoded;
    try {
      shell = await files.shell();
    } catch (err) {
      request.log.error({ err }, 'the web page is missing from this installation');
      return sendText(reply, 500, 'the web page is missing from this installation (proxy/web/built/); the proxy\'s log has the details');
    }
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('referrer-policy', 'no-referrer');
    return sendEncoded(request, reply, shell, 'no-cache');
  };
  app.get('/', sendShell);
  app.get('/ui', sendShell);
  app.get('/ui/*', sendShell);

  app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
    const asset = await files.asset(request.params.name).catch(() => null);
    if (!asset) return sendText(reply, 404, `no asset ${JSON.stringify(request.params.name.slice(0, 200))} in this version of the page; reload the page (/) to get the current one`);
    return sendEncoded(request, reply, asset, IMMUTABLE);
  });
}
