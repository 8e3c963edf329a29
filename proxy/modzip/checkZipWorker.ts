// A worker thread of checkZipPool.ts: checks the zips it is sent, one at a time, and posts back
// the summary or the problems found.

import { parentPort } from 'node:worker_threads';
import { checkZipFileBlocking } from './checkZip.ts';
import { messageOf, ZipCheckError } from './errors.ts';
import type { ZipCheckReply, ZipCheckRequest } from './checkZipPool.ts';

const port = parentPort;
if (!port) throw new Error('checkZipWorker.ts runs as a worker thread of checkZipPool.ts');

port.on('message', async (request: ZipCheckRequest) => {
  let reply: ZipCheckReply;
  try {
    reply = { ok: true, summary: await checkZipFileBlocking(request.zipPath, request.mod, request.limits) };
  } catch (err) {
    reply = err instanceof ZipCheckError ? { ok: false, problems: err.problems } : { ok: false, failure: messageOf(err) };
  }
  port.postMessage(reply);
});
