import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditTrail, type AuditEntry } from '../../../proxy/access/audit.ts';
import { readStoredAudit } from '../../../proxy/access/auditRead.ts';
import { DiskStorage } from '../../../proxy/storage/index.ts';

const entry = (time: string, version: string): AuditEntry => ({
  time,
  identity: null,
  client: '127.0.0.1',
  module: 'github.com/acme/lib',
  version,
  file: 'zip',
  status: 200,
  cache: 'hit',
  bytes: 10,
  deny: null,
});

describe('audit trail sinks', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes day files per day, and retries a failing file without writing the store twice', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gomodproxy-audit-'));
    const storage = new DiskStorage(join(dir, 'store'));
    await storage.open();
    const file = join(dir, 'later', 'audit.jsonl');
    const trail = new AuditTrail({ logger: pino({ level: 'silent' }), log: false, storage, file, flushEveryMs: 3_600_000 });
    trail.record(entry('2026-12-03T23:59:59.000Z', 'v1.0.0'));
    trail.record(entry('2026-12-04T00:00:01.000Z', 'v1.1.0'));
    await trail.flush(); // the file's folder does not exist yet
    const keys: string[] = [];
    for await (const key of storage.keysUnder('gomodproxy/audit/')) keys.push(key);
    expect(keys.map((key) => key.split('/')[2]).sort()).toEqual(['2026-12-03', '2026-12-04']);

    await mkdir(join(dir, 'later'));
    trail.record(entry('2026-12-04T00:00:02.000Z', 'v1.2.0'));
    await trail.close();
    const stored = await readStoredAudit(storage, {});
    expect(stored.map((e) => e.version)).toEqual(['v1.0.0', 'v1.1.0', 'v1.2.0']);
    const inFile = (await readFile(file, 'utf8')).trim().split('\n').map((line) => (JSON.parse(line) as AuditEntry).version);
    expect(inFile).toEqual(['v1.0.0', 'v1.1.0', 'v1.2.0']);
    expect((await readStoredAudit(storage, { since: Date.parse('2026-12-04T00:00:00Z') })).map((e) => e.version)).toEqual(['v1.1.0', 'v1.2.0']);
  });
});
