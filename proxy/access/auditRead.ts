/**
 * Reading the audit trail back (`gomodproxy audit`): the day files in the store, or a local
 * audit file, filtered by module pattern, version, identity and age, oldest first.
 */
import { readFile } from 'node:fs/promises';
import { prefixPatternMatcher } from '../protocol/index.ts';
import type { Storage } from '../storage/index.ts';
import { AUDIT_PREFIX, type AuditEntry } from './audit.ts';

export type AuditQuery = {
  /** GOPRIVATE-style patterns of module paths. */
  modules?: string[];
  version?: string;
  /** The identity name. */
  user?: string;
  /** Entries at or after this time (ms since 1970). */
  since?: number;
};

function matcher(query: AuditQuery): (entry: AuditEntry) => boolean {
  const moduleMatches = query.modules && query.modules.length > 0 ? prefixPatternMatcher(query.modules) : null;
  const sinceIso = query.since === undefined ? '' : new Date(query.since).toISOString();
  return (entry) =>
    entry.time >= sinceIso &&
    (moduleMatches === null || (entry.module !== null && moduleMatches(entry.module))) &&
    (query.version === undefined || entry.version === query.version) &&
    (query.user === undefined || entry.identity === query.user);
}

function parseLines(text: string, keep: (entry: AuditEntry) => boolean, into: AuditEntry[]): void {
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let entry: AuditEntry;
    try {
      entry = JSON.parse(line) as AuditEntry;
    } catch {
      continue; // a torn last line of a local file
    }
    if (typeof entry.time === 'string' && keep(entry)) into.push(entry);
  }
}

function byTime(entries: AuditEntry[]): AuditEntry[] {
  return entries.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

/** The entries of the store's day files that match; days before `since` are not read. */
export async function readStoredAudit(storage: Storage, query: AuditQuery): Promise<AuditEntry[]> {
  const firstDay = query.since === undefined ? '' : new Date(query.since).toISOString().slice(0, 10);
  const keep = matcher(query);
  const entries: AuditEntry[] = [];
  for await (const key of storage.keysUnder(AUDIT_PREFIX)) {
    const day = key.slice(AUDIT_PREFIX.length, AUDIT_PREFIX.length + 10);
    if (!key.endsWith('.jsonl') || day < firstDay) continue;
    const body = await storage.readBytes(key);
    if (body) parseLines(body.toString('utf8'), keep, entries);
  }
  return byTime(entries);
}

/** The entries of a local audit file (audit.file) that match. */
export async function readAuditFile(file: string, query: AuditQuery): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  parseLines(await readFile(file, 'utf8'), matcher(query), entries);
  return byTime(entries);
}

/** A table a person reads: one row per entry, columns padded. */
export function formatAuditTable(entries: readonly AuditEntry[]): string {
  if (entries.length === 0) return 'no audit entries match\n';
  const rows = [
    ['TIME', 'USER', 'CLIENT', 'MODULE@VERSION', 'FILE', 'STATUS', 'CACHE', 'BYTES', 'DENY'],
    ...entries.map((e) => [
      e.time,
      e.identity ?? '-',
      e.client,
      e.module === null ? '-' : e.version === null ? e.module : `${e.module}@${e.version}`,
      e.file ?? '-',
      String(e.status),
      e.cache ?? '-',
      String(e.bytes),
      e.deny ?? '',
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd() + '\n').join('');
}
