// The audit trail with the go command as the client: one line per served .info/.mod/.zip with the
// cache outcome and bytes, one per denied request with the reason, X-Forwarded-For believed only
// from a trusted proxy, day files in the store that `gomodproxy audit` reads back.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../proxy/access/audit.ts';
import { goModDownloadJson, makeGoHome } from '../fixtures/goCommand.ts';
import { writeModuleTree, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { runGomodproxy, startTestProxy, tempFolder } from './harness.ts';

const lib = (version: string): FixtureModule => ({ path: 'github.com/acme/lib', version, files: { 'lib.go': 'package lib\n' } });
const reason = 'CVE-2026-0002; use v1.1.0';

describe('audit trail', () => {
  let tree: { path: string; dispose(): Promise<void> };
  let store: { path: string; dispose(): Promise<void> };
  let upstream: Upstream;
  const logged: AuditEntry[] = [];
  let auditFile: string;

  beforeAll(async () => {
    tree = await tempFolder('gomodproxy-audit-tree-');
    store = await tempFolder('gomodproxy-audit-store-');
    auditFile = join(tree.path, 'audit.jsonl');
    await writeModuleTree(tree.path, [lib('v1.1.0'), lib('v1.2.0')]);
    upstream = await startUpstream(tree.path);
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          const record = JSON.parse(line) as { msg: string; audit?: AuditEntry };
          if (record.msg === 'audit' && record.audit) logged.push(record.audit);
        }
        done();
      },
    });
    const proxy = await startTestProxy({
      upstream: upstream.url,
      storagePath: store.path,
      // Each file's first request is a miss here; fetching ahead would make the .mod a hit, or a
      // miss when it joins the fetch under way, as timing decides.
      fetchAhead: 'off',
      logger: pino({ level: 'info' }, logStream),
      access: {
        policy: { deny: [{ module: 'github.com/acme/lib', versions: 'v1.2.0', reason }] },
        audit: { storage: true, file: auditFile, flushEvery: '1h' },
        trustedProxies: ['127.0.0.1/32'],
      },
    });
    try {
      // A miss, then a hit, each by the go command with an empty module cache.
      for (let round = 0; round < 2; round++) {
        const home = await makeGoHome({ goproxy: proxy.url });
        try {
          const [result] = await goModDownloadJson(['github.com/acme/lib@v1.1.0'], { env: home.env });
          expect(result?.Error).toBeUndefined();
        } finally {
          await home.dispose();
        }
      }
      const home = await makeGoHome({ goproxy: proxy.url });
      try {
        const [denied] = await goModDownloadJson(['github.com/acme/lib@v1.2.0'], { env: home.env });
        expect(denied?.Error).toContain(reason);
      } finally {
        await home.dispose();
      }
      // Through a trusted proxy (the peer is 127.0.0.1) the forwarded client counts.
      const forwarded = await fetch(`${proxy.url}/github.com/acme/lib/@v/v1.1.0.mod`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
      expect(forwarded.status).toBe(200);
      // A list is not a download: not audited.
      expect((await fetch(`${proxy.url}/github.com/acme/lib/@v/list`)).status).toBe(200);
    } finally {
      await proxy.dispose(); // writes the day files
    }
  });

  afterAll(async () => {
    await upstream?.close();
    await store?.dispose();
    await tree?.dispose();
  });

  it('writes one log line per served file with cache outcome and bytes, and one per denial with the reason', () => {
    const served = logged.filter((e) => e.status === 200 && e.client === '127.0.0.1');
    expect(served.map((e) => `${e.file} ${e.cache}`)).toEqual(['info miss', 'mod miss', 'zip miss', 'info hit', 'mod hit', 'zip hit']);
    for (const e of served) {
      expect(e).toMatchObject({ identity: null, module: 'github.com/acme/lib', version: 'v1.1.0', deny: null });
      expect(e.bytes).toBeGreaterThan(0);
    }
    const denied = logged.filter((e) => e.status === 403);
    expect(denied.length).toBeGreaterThan(0);
    expect(denied[0]).toMatchObject({ module: 'github.com/acme/lib', version: 'v1.2.0', cache: null, bytes: 0 });
    expect(denied[0]!.deny).toContain(reason);
    expect(logged.filter((e) => e.client === '203.0.113.7').map((e) => e.file)).toEqual(['mod']);
    expect(logged.some((e) => e.file === 'list')).toBe(false);
  });

  it('keeps the same lines in day files in the store and in the audit file', async () => {
    const fileLines = (await readFile(auditFile, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as AuditEntry);
    expect(fileLines).toEqual(logged);
    const result = await runGomodproxy(['audit', '--storage-path', store.path, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n').map((line) => JSON.parse(line) as AuditEntry)).toEqual(logged);
  });

  it('gomodproxy audit filters by module, version, user and age, as a table or JSON', async () => {
    const byVersion = await runGomodproxy(['audit', '--storage-path', store.path, '--module', 'github.com/acme/*', '--version', 'v1.2.0', '--since', '1d', '--json']);
    expect(byVersion.code, byVersion.stderr).toBe(0);
    const entries = byVersion.stdout.trim().split('\n').map((line) => JSON.parse(line) as AuditEntry);
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.version === 'v1.2.0' && e.status === 403)).toBe(true);

    const table = await runGomodproxy(['audit', '--file', auditFile, '--module', 'github.com/acme/lib', '--version', 'v1.1.0']);
    expect(table.code, table.stderr).toBe(0);
    const rows = table.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^TIME\s+USER\s+CLIENT\s+MODULE@VERSION\s+FILE\s+STATUS\s+CACHE\s+BYTES\s+DENY$/);
    expect(rows).toHaveLength(8);
    expect(rows.filter((row) => row.includes('203.0.113.7'))).toHaveLength(1);

    const nobody = await runGomodproxy(['audit', '--storage-path', store.path, '--user', 'alice']);
    expect(nobody.stdout).toBe('no audit entries match\n');
    const badSince = await runGomodproxy(['audit', '--storage-path', store.path, '--since', 'yesterday']);
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toContain('--since yesterday');
  });
});
