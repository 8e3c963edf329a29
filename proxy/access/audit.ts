/**
 * The audit trail: one JSON line per served .info, .mod or .zip, and per denied (403) or
 * unauthorized (401) request, saying who fetched what:
 *
 *   {"time","identity","client","module","version","file","status","cache","bytes","deny"}
 *
 * identity is the authenticated name (null for anonymous requests); client is the address as
 * clientAddress.ts decides it. Never a credential, a header or a query string.
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

export class AuditTrail {
  private readonly options: AuditTrailOptions;
  private readonly durable: boolean;
  private pending: Array<{ day: string; line: string }> = [];
  private readonly timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(options: AuditTrailOptions) {
    this.options = options;
    this.durable = options.storage !== undefined || options.file !== undefined;
    if (this.durable) {
      this.timer = setInterval(() => void this.flush(), options.flushEveryMs);
      this.timer.unref();
    }
  }

  record(entry: AuditEntry): void {
    if (this.options.log) this.options.logger.info({ audit: entry }, 'audit');
    if (!this.durable) return;
    this.pending.push({ day: entry.time.slice(0, 10), line: JSON.stringify(entry) });
    if (this.pending.length > MAX_PENDING_LINES) {
      const dropped = this.pending.length - MAX_PENDING_LINES;
      this.pending.splice(0, dropped);
      this.options.logger.warn({ dropped }, 'audit lines dropped: the audit store or file could not be written for too long');
    }
  }

  /** Writes what was gathered since the last flush. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.length === 0) return;
      const batch = this.pending;
      this.pending = [];
      const failed = await this.write(batch);
      // Kept for the next flush, before anything newer.
      if (failed) this.pending = [...batch, ...this.pending];
    });
    return this.flushing;
  }

  private async write(batch: Array<{ day: string; line: string }>): Promise<boolean> {
    try {
      const { storage, file } = this.options;
      if (storage) {
        const byDay = new Map<string, string[]>();
        for (const { day, line } of batch) {
          const lines = byDay.get(day);
          if (lines) lines.push(line);
          else byDay.set(day, [line]);
        }
        const stamp = new Date().toISOString().replace(/[-:.]/g, '').toLowerCase();
        const suffix = randomBytes(6).toString('hex');
        for (const [day, lines] of byDay) {
          await storage.put(`${AUDIT_PREFIX}${day}/${stamp}-${suffix}.jsonl`, Buffer.from(lines.map((line) => `${line}\n`).join('')));
        }
      }
      if (file) await appendFile(file, batch.map(({ line }) => `${line}\n`).join(''));
      return false;
    } catch (err) {
      this.options.logger.warn({ reason: (err as Error).message, lines: batch.length }, 'could not write audit lines; will try again');
      return true;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
