/**
 * The GOPROXY protocol routes. Immutable answers (.mod, .zip, .info of a
 * canonical version) carry a strong ETag and a year-long Cache-Control;
 * list and @latest are cacheable for the list TTL and say when they are
 * stale. Zips are streamed from storage, never buffered.
 */
import { createHash } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { proxyError } from '../errors.ts';
import type { ModulePolicy, PolicyRefusal } from '../access/policy.ts';
import { isCanonicalVersion, type ModuleRequest } from '../protocol/index.ts';
import type { BytesAnswer, FetchReport, ModuleService } from '../moduleService.ts';
import { parseRequestPath } from './protocolRequest.ts';
import type { ServerOptions } from './serverOptions.ts';
import { sendObject } from './sendObject.ts';
import { IMMUTABLE, STALE_HEADER } from './cacheHeaders.ts';

export type RequestLog = {
  /** The signed-in user or token name; absent for anonymous. */
  user?: string;
  module?: string;
  version?: string;
  kind?: string;
  cache?: string;
  upstream?: string;
  bytes?: number;
  error?: string;
  /** The error's code, and the words of what caused it (a peer's, for the log only). */
  code?: string;
  cause?: string;
  /** Why the request was refused (403), for the audit trail. */
  deny?: string;
  /** The advisories affecting the version (policy.vulnerable), for the audit trail. */
  advisories?: string[];
  /** The version was served before the vulnerability database had a snapshot. */
  vulndb?: 'unchecked';
};


const CONTENT_TYPES = {
  list: 'text/plain; charset=utf-8',
  latest: 'application/json',
  info: 'application/json',
  mod: 'text/plain; charset=utf-8',
  zip: 'application/zip',
} as const;

export function registerProtocolRoutes(app: FastifyInstance, options: ServerOptions): void {
  const { modules } = options;
  const changingCache = `public, max-age=${options.listMaxAgeSeconds}`;

  const policy = options.policy && !options.policy.isEmpty ? options.policy : undefined;
  const vulnerable = options.vulnerable?.checks ? options.vulnerable : undefined;
  const refuse = (request: FastifyRequest, target: ModuleRequest) => {
    const refusal = policy && policyRefusal(policy, target);
    if (!refusal) return;
    if (refusal.advisories) {
      request.proxyLog.advisories = [...refusal.advisories];
      options.metrics.vulnerableDownloads.inc({ action: 'deny', file: target.kind });
    }
    throw proxyError('DENIED_BY_POLICY', refusal.message);
  };
  /** Notes what policy.vulnerable says of a version about to be served (a denied one never gets here). */
  const noteAdvisories = (request: FastifyRequest, target: ModuleRequest & { version: string }, version = target.version) => {
    if (!vulnerable) return;
    const verdict = vulnerable.verdict(target.module, version);
    if (verdict.action === 'unchecked') {
      request.proxyLog.vulndb = 'unchecked';
      options.metrics.uncheckedDownloads.inc({ file: target.kind });
    } else if (verdict.action !== 'none') {
      request.proxyLog.advisories = verdict.advisories.map((a) => a.id);
      options.metrics.vulnerableDownloads.inc({ action: 'warn', file: target.kind });
    }
  };

  app.get('/*', async (request, reply) => {
    const rawPath = request.url.split('?')[0]!;
    const target = parseRequestPath(rawPath);
    describe(request, target);
    refuse(request, target);
    reply.header('content-type', CONTENT_TYPES[target.kind]);

    switch (target.kind) {
      case 'list':
      case 'latest': {
        let answer = target.kind === 'list' ? await modules.list(target.module) : await modules.latest(target.module);
        if (policy) answer = target.kind === 'list' ? { ...answer, body: policy.allowedList(target.module, answer.body) } : await latestAllowed(policy, modules, target.module, answer);
        report(request, reply, answer);
        reply.header('cache-control', answer.cache === 'stale' ? 'no-cache' : changingCache);
        return sendBytes(request, reply, answer.body);
      }
      case 'info': {
        const answer = await modules.info(target.module, target.version);
        // A query (v1.2, master) is judged by the version it resolved to.
        const resolved = answer.immutable ? target.version : infoVersion(answer.body);
        if (!answer.immutable) refuse(request, { ...target, version: resolved });
        noteAdvisories(request, target, resolved);
        if (answer.immutable) options.downloads?.record(target.module, target.version);
        report(request, reply, answer);
        reply.header('cache-control', answer.immutable ? IMMUTABLE : changingCache);
        return sendBytes(request, reply, answer.body);
      }
      case 'mod': {
        const answer = await modules.mod(target.module, target.version);
        noteAdvisories(request, target);
        options.downloads?.record(target.module, target.version);
        report(request, reply, answer);
        reply.header('cache-control', IMMUTABLE);
        return sendBytes(request, reply, answer.body);
      }
      case 'zip': {
        const answer = await modules.zip(target.module, target.version);
        noteAdvisories(request, target);
        options.downloads?.record(target.module, target.version);
        report(request, reply, answer);
        const etag = `"${answer.hash.replace(/^h1:/, '').replace(/[+/=]/g, (c) => ({ '+': '-', '/': '_', '=': '' })[c]!)}"`;
        reply.header('cache-control', IMMUTABLE).header('etag', etag);
        if (matchesEtag(request, etag)) {
          await answer.object.close();
          return reply.code(304).send();
        }
        // The body is written by sendObject, from pooled buffers; the request log still
        // sees the status and the bytes actually sent.
        reply.hijack();
        reply.raw.writeHead(200, { ...(reply.getHeaders() as OutgoingHttpHeaders), 'content-length': answer.object.size });
        if (request.method === 'HEAD') {
          await answer.object.close();
          reply.raw.end();
          return reply;
        }
        request.proxyLog.bytes = 0;
        await sendObject(reply.raw, answer.object, (bytes) => (request.proxyLog.bytes! += bytes));
        return reply;
      }
    }
  });
}

/** The policy's refusal of a module (list, @latest) or of a canonical version, or null. */
function policyRefusal(policy: ModulePolicy, target: ModuleRequest): PolicyRefusal | null {
  return 'version' in target && isCanonicalVersion(target.version) ? policy.versionRefusal(target.module, target.version) : policy.moduleRefusal(target.module);
}

/**
 * An @latest answer that names a denied version is replaced by the .info of the newest allowed
 * version in the module's list (by the go command's rule for latest); none allowed: refused.
 */
async function latestAllowed(policy: ModulePolicy, modules: ModuleService, modulePath: string, answer: BytesAnswer): Promise<BytesAnswer> {
  const named = infoVersion(answer.body);
  const refusal = policy.versionRefusal(modulePath, named);
  if (!refusal) return answer;
  const listed = (await modules.list(modulePath)).body.toString('utf8').split('\n').map((line) => line.trim());
  const best = policy.latestAllowed(modulePath, listed);
  if (!best) throw proxyError('DENIED_BY_POLICY', `${refusal.message} (and no other listed version of ${modulePath} is allowed)`);
  const info = await modules.info(modulePath, best);
  return { ...info, cache: answer.cache };
}

/** The Version of an .info answer (the module service checked it is there). */
function infoVersion(body: Buffer): string {
  return (JSON.parse(body.toString('utf8')) as { Version: string }).Version;
}

function describe(request: FastifyRequest, target: ModuleRequest): void {
  request.proxyLog.module = target.module;
  request.proxyLog.kind = target.kind;
  if ('version' in target) request.proxyLog.version = target.version;
}

function report(request: FastifyRequest, reply: FastifyReply, answer: FetchReport): void {
  request.proxyLog.cache = answer.cache;
  if (answer.source) request.proxyLog.upstream = answer.source;
  if (answer.cache === 'stale') {
    const since = answer.staleSince ? `since=${answer.staleSince.toISOString()}; ` : '';
    const reason = (answer.staleReason ?? 'every upstream failed').replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
    reply.header(STALE_HEADER, `${since}reason="${reason.replace(/"/g, "'")}"`);
  }
}

/**
 * The ETag of each answer body still in use, by the body itself: a cached .info, .mod or list is
 * the same Buffer from one request to the next (answers are never changed in place), and hashing
 * it again for every request costs a cached answer a twentieth of its time (bench/README.md).
 */
const etags = new WeakMap<Buffer, string>();

function etagOf(body: Buffer): string {
  let etag = etags.get(body);
  if (etag === undefined) {
    etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
    etags.set(body, etag);
  }
  return etag;
}

function sendBytes(request: FastifyRequest, reply: FastifyReply, body: Buffer): FastifyReply {
  const etag = etagOf(body);
  reply.header('etag', etag);
  if (matchesEtag(request, etag)) return reply.code(304).send();
  request.proxyLog.bytes = body.length;
  return reply.send(body);
}

function matchesEtag(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}
