// The floor for serving cached answers: a plain node:http server that answers GET <path> with the
// file at <root>/<path> (stat, then fs.createReadStream), as the simplest static file server would.
// No routing framework, no parsing of module paths, no ETags, no logging.
//
//   STATIC_LISTEN_PORT=8080 [STATIC_DELAY_MS=20] [STATIC_FROM_MEMORY=1] node bench/staticFileServer.ts <root>
//
// GET / answers 200 "ok" (readiness). STATIC_DELAY_MS holds every other answer back that long: a
// remote upstream's round trip, for the cold benchmark's local upstream. STATIC_FROM_MEMORY=1 reads
// each file once and answers it from memory ever after: no file system on the request path, so
// what is left is node:http itself, the most one Node event loop can answer (the throughput
// benchmark's ceiling).

import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.info': 'application/json',
  '.mod': 'text/plain; charset=utf-8',
  '.zip': 'application/zip',
};

const root = resolve(process.argv[2] ?? '.');
const port = Number(process.env['STATIC_LISTEN_PORT'] ?? '0');
const delayMs = Number(process.env['STATIC_DELAY_MS'] ?? '0');
const fromMemory = process.env['STATIC_FROM_MEMORY'] === '1';
const answersInMemory = new Map<string, Buffer>();

function answerText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer((req, res) => {
  const urlPath = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
  if (urlPath === '/') return answerText(res, 200, 'ok\n');
  if (delayMs > 0) setTimeout(() => answerFile(urlPath, res), delayMs);
  else answerFile(urlPath, res);
});

function answerFile(urlPath: string, res: ServerResponse): void {
  const file = join(root, ...urlPath.split('/'));
  if (!file.startsWith(root + sep)) return answerText(res, 400, 'bad path\n');
  if (fromMemory) return answerFromMemory(file, res);
  stat(file).then(
    (info) => {
      if (!info.isFile()) return answerText(res, 404, 'not found\n');
      res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': info.size });
      const stream = createReadStream(file);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    },
    () => answerText(res, 404, 'not found\n'),
  );
}

function answerFromMemory(file: string, res: ServerResponse): void {
  const send = (body: Buffer): void => {
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  };
  const kept = answersInMemory.get(file);
  if (kept) return send(kept);
  readFile(file).then(
    (body) => {
      answersInMemory.set(file, body);
      send(body);
    },
    () => answerText(res, 404, 'not found\n'),
  );
}

server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
