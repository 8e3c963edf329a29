/**
 * Which finished requests go to the audit trail, and the entry each makes: served module files
 * (.info, .mod, .zip, also 304s) and every 401 or 403. The identity is the one the
 * authentication hook put on the request (`request.identity`), null without one.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditEntry } from '../access/audit.ts';
import type { ClientAddressOf } from '../access/clientAddress.ts';

const MODULE_FILES = new Set(['info', 'mod', 'zip']);

export function auditEntryFor(request: FastifyRequest, reply: FastifyReply, clientAddressOf: ClientAddressOf): AuditEntry | null {
  const status = reply.statusCode;
  const log = request.proxyLog;
  const served = status < 400 && log.kind !== undefined && MODULE_FILES.has(log.kind);
  if (!served && status !== 401 && status !== 403) return null;
  // Absent when no access check is registered on the server.
  const identity = request.identity?.name ?? null;
  return {
    time: isoNow(),
    identity,
    client: clientAddressOf(request.socket.remoteAddress, request.headers['x-forwarded-for']),
    module: log.module ?? null,
    version: log.version ?? null,
    file: log.kind ?? null,
    status,
    cache: log.cache ?? null,
    bytes: log.bytes ?? 0,
    deny: status === 403 || status === 401 ? (log.deny ?? log.error ?? null) : null,
    ...(log.advisories && log.advisories.length > 0 ? { advisories: log.advisories } : {}),
    ...(log.vulndb ? { vulndb: log.vulndb } : {}),
  };
}

let lastMs = Number.NaN;
let lastIso = '';

/** The ISO time of now, formatted once per millisecond: at thousands of answers a second, several share one. */
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastIso = new Date(now).toISOString();
    lastMs = now;
  }
  return lastIso;
}
