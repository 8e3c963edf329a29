/**
 * What a finished request adds to the usage figures (/api/usage): a served .info, .mod or .zip
 * is counted as a hit or a miss and, for a .zip sent whole by GET, as a download of its module
 * (kept in the download journal, so every replica's counts add up and survive restarts); the
 * audit entry of the request goes to the in-memory top users and refused requests (of module
 * files and the checksum database: the API's own 401s are the page asking who signs in).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditEntry } from '../access/audit.ts';
import type { DownloadLog } from '../storage/index.ts';
import type { RequestStats } from '../usage/index.ts';
import { isApiPath } from './api/apiReply.ts';

const MODULE_FILES = new Set(['info', 'mod', 'zip']);

export function recordUsage(request: FastifyRequest, reply: FastifyReply, entry: AuditEntry | null, downloads: DownloadLog | undefined, requests: RequestStats): void {
  if (entry && !isApiPath(request.url)) requests.record(entry);
  const log = request.proxyLog;
  if (!downloads || reply.statusCode !== 200 || !log.kind || !MODULE_FILES.has(log.kind)) return;
  const cache = log.cache === 'hit' || log.cache === 'miss' ? log.cache : null;
  downloads.countAnswer({ download: log.kind === 'zip' && request.method === 'GET', cache, module: log.module ?? null });
}
