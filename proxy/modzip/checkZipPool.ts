// Zip checks run in worker threads, so that checking a large zip (seconds of inflating and
// hashing) never holds up the event loop that answers every other request.
//
// The rules of the pool:
// - at most maxThreads checks run at once, each in a thread of its own; more wait in order;
// - maxThreads is at least 2 even on one core: a small zip's check then runs beside a large
//   one's (the OS shares the cores) instead of waiting for it to end;
// - a thread idle for idleExitMs exits, so an idle proxy holds no threads;
// - an idle thread does not keep the process alive; a busy one does, until its check is answered;
// - a thread that dies fails the check it was running (with the reason) and is replaced on demand;
// - a small zip (smallZip.ts) is checked on the event loop, without a thread: its check takes
//   less than a thread hop, and much less than the start of a thread, which a new proxy's first
//   miss, or a small miss while a large check holds the only thread, would otherwise wait for.

import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { checkZipFileBlocking, type ZipSummary } from './checkZip.ts';
import { ZipCheckError } from './errors.ts';
import type { ZipLimits } from './limits.ts';
import type { ModuleVersion } from './moduleVersion.ts';
import { isSmallZip } from './smallZip.ts';

export type ZipCheckRequest = { zipPath: string; mod: ModuleVersion; limits: Partial<ZipLimits> };
export type ZipCheckReply = { ok: true; summary: ZipSummary } | { ok: false; problems: string[] } | { ok: false; failure: string };

const maxThreads = Math.max(2, Math.min(4, availableParallelism()));
const idleExitMs = 5_000;
// The worker's file sits beside this one and is in its language: .ts in a checkout, .js in the image
// (scripts/buildProgram.ts puts the worker and the bundle's chunks in one folder).
const workerFile = new URL(`./checkZipWorker${extname(import.meta.url)}`, import.meta.url);

type Job = { request: ZipCheckRequest; resolve: (summary: ZipSummary) => void; reject: (err: Error) => void };
type Thread = { worker: Worker; job: Job | undefined; idleTimer: NodeJS.Timeout | undefined };

const threads = new Set<Thread>();
const waiting: Job[] = [];

/**
 * checkZipFile checks the module zip at zipPath for mod against the module zip rules
 * (checkZip.ts) in a worker thread, or inline when the zip is small, and returns its h1 hash
 * and sizes; a broken rule, or a zip that cannot be read, rejects with ZipCheckError.
 */
export async function checkZipFile(zipPath: string, mod: ModuleVersion, limits: Partial<ZipLimits> = {}): Promise<ZipSummary> {
  if (await isSmallZip(zipPath)) return checkZipFileBlocking(zipPath, mod, limits);
  return new Promise((resolve, reject) => {
    waiting.push({ request: { zipPath, mod: { path: mod.path, version: mod.version }, limits }, resolve, reject });
    dispatch();
  });
}

function dispatch(): void {
  while (waiting.length > 0) {
    const thread = [...threads].find((t) => t.job === undefined) ?? (threads.size < maxThreads ? startThread() : undefined);
    if (!thread) return;
    run(thread, waiting.shift()!);
  }
}

function run(thread: Thread, job: Job): void {
  clearTimeout(thread.idleTimer);
  thread.idleTimer = undefined;
  thread.job = job;
  thread.worker.ref();
  thread.worker.postMessage(job.request);
}

function startThread(): Thread {
  const thread: Thread = { worker: new Worker(workerFile), job: undefined, idleTimer: undefined };
  threads.add(thread);
  thread.worker.on('message', (reply: ZipCheckReply) => {
    const job = thread.job;
    thread.job = undefined;
    thread.worker.unref();
    thread.idleTimer = setTimeout(() => void stopThread(thread), idleExitMs).unref();
    if (job) settle(job, reply);
    dispatch();
  });
  const fail = (reason: string) => {
    threads.delete(thread);
    clearTimeout(thread.idleTimer);
    thread.job?.reject(new Error(`zip check thread failed: ${reason}`));
    thread.job = undefined;
    dispatch();
  };
  thread.worker.on('error', (err) => fail(err.message));
  thread.worker.on('exit', (code) => fail(`exited with code ${code}`));
  return thread;
}

function settle(job: Job, reply: ZipCheckReply): void {
  if (reply.ok) {
    const { goMod } = reply.summary;
    // A Uint8Array comes back as a plain Uint8Array; callers compare it with Buffers.
    job.resolve({ ...reply.summary, goMod: goMod && Buffer.from(goMod.buffer, goMod.byteOffset, goMod.byteLength) });
  } else if ('problems' in reply) {
    job.reject(new ZipCheckError(reply.problems));
  } else {
    job.reject(new Error(reply.failure));
  }
}

async function stopThread(thread: Thread): Promise<void> {
  if (thread.job) return;
  threads.delete(thread);
  await thread.worker.terminate();
}
