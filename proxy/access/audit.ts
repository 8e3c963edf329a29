/**
 * The audit trail: one JSON line per served .info, .mod or .zip, and per denied (403) or
 * unauthorized (401) request, saying who fetched what:
 *
 *   {"time","identity","client","module","version","file","status","cache","bytes","deny"[,"advisories"][,"vulndb"]}
 *
 * identity is the authenticated name (null for anonymous requests); client is the address as
 * clientAddress.ts decides it; advisories are the IDs of the advisories affecting the version
 * (policy.vulnerable warn or deny), vulndb is "unchecked" when no database snapshot existed yet. Never a credential, a header or a query string.
 *
 * The lines go to the log stream (audit.log) and, gathered in memory and written every
 * audit.flushEvery (and at shutdown), to day files in the store (audit.storage), one file per
 * replica and interval so that replicas sharing a bucket share one trail without sharing a key:
 *
 *   gomodproxy/audit/<YYYY-MM-DD>/<time>-<random>.jsonl
 *
 * and to a local file (audit.file), appended. The batching is the download journal's
 * (storage/downloadLog.ts): a request costs an array push, never a write.
 */
import { randomBytes } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Storage } from '../storage/index.ts';

export const AUDIT_PREFIX = 'gomodproxy/audit/';

export type AuditEntry = {
  time: string;
  identity: string | null;
  client: string;
  module: string | null;
  version: string | null;
  /** info, mod, zip; list, latest or a sumdb kind for refusals; null for other paths. */
  file: string | null;
  status: number;
  /** hit, miss, stale or local; null when nothing was served. */
  cache: string | null;
  bytes: number;
  deny: string | null;
  /** The IDs of the advisories of the vulnerability database affecting the version; only when some do. */
  advisories?: string[];
  /** "unchecked": served before the vulnerability database had a snapshot (policy.vulnerable could not look). */
  vulndb?: 'unchecked';
};

/** Lines kept while the store or file cannot be written; beyond this the oldest are dropped (and counted in a warning). */
const MAX_PENDING_LINES = 200_000;

export type AuditTrailOptions = {
  logger: Logger;
  /** Write the lines to the log stream. */
  log: boolean;
  /** Keep day files in this store. */
  storage?: Storage;
  /** Append the lines to this local file. */
  file?: string;
  flushEveryMs: number;
};

type PendingLine = { day: string; line: string };

/**
 * One durable destination with its own queue: what one could not take is kept for it alone, so
 * a failing file never makes the store write a line twice, nor the other way round.
 */
type Sink = { what: string; pending: PendingLine[]; write(batch: PendingLine[]): Promise<{ unwritten: PendingLine[]; reason?: string }> };

/** Day files in the store; returns the lines of the days that could not be written. */
function storageSink(storage: Storage): Sink {
  return {
    what: 'the audit store',
    pending: [],
    async write(batch) {
      const byDay = new Map<string, PendingLine[]>();
      for (const entry of batch) {
        const lines = byDay.get(entry.day);
        if (lines) lines.push(entry);
        else byDay.set(entry.day, [entry]);
      }
      const name = `${new Date().toISOString().replace(/[-:.]/g, '').toLowerCase()}-${randomBytes(6).toString('hex')}.jsonl`;
      const unwritten: PendingLine[] = [];
      let reason: string | undefined;
      for (const [day, lines] of byDay) {
        try {
          await storage.put(`${AUDIT_PREFIX}${day}/${name}`, Buffer.from(lines.map(({ line }) => `${line}\n`).join('')));
        } catch (err) {
          unwritten.push(...lines);
          reason = (err as Error).message;
        }
      }
      return reason === undefined ? { unwritten } : { unwritten, reason };
    },
  };
}

/** A local file, appended to; one append per batch, so a batch is written whole or not at all (short of a full disk). */
function fileSink(file: string): Sink {
  return {
    what: `the audit file ${file}`,
    pending: [],
    async write(batch) {
      try {
        await appendFile(file, batch.map(({ line }) => `${line}\n`).join(''));
        return { unwritten: [] };
      } catch (err) {
        return { unwritten: batch, reason: (err as Error).message };
      }
    },
  };
}

export class AuditTrail {
  private readonly options: AuditTrailOptions;
  private readonly sinks: Sink[] = [];
  private readonly timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(options: AuditTrailOptions) {
    this.options = options;
    if (options.storage) this.sinks.push(storageSink(options.storage));
    if (options.file) this.sinks.push(fileSink(options.file));
    if (this.sinks.length > 0) {
      this.timer = setInterval(() => void this.flush(), options.flushEveryMs);
      this.timer.unref();
    }
  }

  record(entry: AuditEntry): void {
    if (this.options.log) this.options.logger.info({ audit: entry }, 'audit');
    if (this.sinks.length === 0) return;
    const pending = { day: entry.time.slice(0, 10), line: JSON.stringify(entry) };
    for (const sink of this.sinks) {
      sink.pending.push(pending);
      if (sink.pending.length > MAX_PENDING_LINES) {
        const dropped = sink.pending.length - MAX_PENDING_LINES;
        sink.pending.splice(0, dropped);
        this.options.logger.warn({ dropped }, `audit lines dropped: ${sink.what} could not be written for too long`);
      }
    }
  }

  /** Writes what was gathered since the last flush. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      for (const sink of this.sinks) {
        if (sink.pending.length === 0) continue;
        const batch = sink.pending;
        sink.pending = [];
        const { unwritten, reason } = await sink.write(batch);
        if (unwritten.length === 0) continue;
        this.options.logger.warn({ lines: unwritten.length, reason }, `could not write audit lines to ${sink.what}; will try again`);
        // Kept for the next flush, before anything newer.
        sink.pending = [...unwritten, ...sink.pending];
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
