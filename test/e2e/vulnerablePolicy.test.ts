// policy.vulnerable with the go command as the client and the mirror fed from a test vulnerability
// database served on 127.0.0.1: a denied version's error names the advisory and its fixed version,
// `go get m@latest` lands on a version no advisory affects, a refresh that adds an advisory takes
// effect without a restart, warn serves and records, versions served before the first snapshot are
// recorded as unchecked, and `gomodproxy vulns --json` lists exactly the affected stored versions.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../proxy/access/audit.ts';
import { goModDownloadJson, makeGoHome, runGo } from '../fixtures/goCommand.ts';
import { writeModuleTree, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { writeVulnDatabase, type TestAdvisory } from '../fixtures/vulnDatabase.ts';
import { runGomodproxy, startTestProxy, tempFolder, type TestProxy } from './harness.ts';

const LIB = 'github.com/acme/lib';
const lib = (version: string): FixtureModule => ({ path: LIB, version, files: { 'lib.go': `package lib\n\nconst Version = "${version}"\n` } });
const modules = [lib('v1.0.0'), lib('v1.1.0'), lib('v1.2.0'), { path: 'github.com/acme/other', version: 'v1.0.0', files: { 'other.go': 'package other\n' } }];

/** Affects lib below v1.1.0. */
const oldParser: TestAdvisory = {
  id: 'GO-2026-0101',
  modified: '2026-03-01T00:00:00Z',
  aliases: ['CVE-2026-1111'],
  summary: 'Parser panics on deep input',
  affected: [{ module: LIB, events: [{ introduced: '0' }, { fixed: '1.1.0' }] }],
};
/** Added by a refresh: affects lib from v1.2.0, fixed in v1.3.0 (not released yet). */
const newEncoder: TestAdvisory = {
  id: 'GO-2026-0102',
  modified: '2026-03-02T00:00:00Z',
  aliases: ['CVE-2026-2222'],
  summary: 'Encoder writes past its buffer',
  affected: [{ module: LIB, events: [{ introduced: '1.2.0' }, { fixed: '1.3.0' }] }],
};

/** A logger whose audit lines the test reads. */
function auditLogger(into: AuditEntry[]) {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const record = JSON.parse(line) as { msg: string; audit?: AuditEntry };
        if (record.msg === 'audit' && record.audit) into.push(record.audit);
      }
      done();
    },
  });
  return pino({ level: 'info' }, stream);
}

describe('policy.vulnerable with the go command', () => {
  let work: { path: string; dispose(): Promise<void> };
  let upstream: Upstream;
  let database: Upstream;
  let proxy: TestProxy;
  const audit: AuditEntry[] = [];
  const store = () => join(work.path, 'store');

  beforeAll(async () => {
    work = await tempFolder('gomodproxy-vulnerable-');
    await writeModuleTree(join(work.path, 'tree'), modules);
    upstream = await startUpstream(join(work.path, 'tree'));
    await writeVulnDatabase(join(work.path, 'db'), [oldParser]);
    database = await startUpstream(join(work.path, 'db'));
    await mkdir(store());
    proxy = await startTestProxy({
      upstream: upstream.url,
      storagePath: store(),
      vulndb: { url: database.url },
      logger: auditLogger(audit),
      access: { policy: { vulnerable: 'deny' } },
    });
    expect((await proxy.vulnDatabase!.refresh()).outcome).toBe('updated');
  });

  afterAll(async () => {
    await proxy?.dispose();
    await database?.close();
    await upstream?.close();
    await work?.dispose();
  });

  it('refuses an affected version with 403; the go command shows the advisory, its alias and the fixed version', async () => {
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const [denied, allowed] = await goModDownloadJson([`${LIB}@v1.0.0`, `${LIB}@v1.1.0`], { env: home.env });
      expect(denied?.Error).toContain('403 Forbidden');
      expect(denied?.Error).toContain(
        `${LIB}@v1.0.0 is denied by the proxy's policy (policy.vulnerable): affected by GO-2026-0101 (CVE-2026-1111; fixed in v1.1.0); see https://pkg.go.dev/vuln/GO-2026-0101`,
      );
      expect(allowed?.Error).toBeUndefined();
      // Nothing of the denied version was fetched.
      expect(upstream.requests.some((r) => r.path.includes('v1.0.0'))).toBe(false);
    } finally {
      await home.dispose();
    }
    const refused = audit.find((e) => e.version === 'v1.0.0' && e.status === 403);
    expect(refused).toMatchObject({ module: LIB, advisories: ['GO-2026-0101'] });
    expect(refused?.deny).toContain('GO-2026-0101');
  });

  it('a refresh that adds an advisory takes effect without a restart: @latest and go get land on the fixed version', async () => {
    const home = await makeGoHome({ goproxy: proxy.url });
    const app = join(home.home, 'app');
    await mkdir(app);
    await writeFile(join(app, 'go.mod'), 'module example.test/app\n\ngo 1.21\n');
    try {
      expect(await (await fetch(`${proxy.url}/${LIB}/@v/list`)).text()).toBe('v1.1.0\nv1.2.0\n');
      await runGo(['get', `${LIB}@latest`], { cwd: app, env: home.env });
      expect(await readFile(join(app, 'go.mod'), 'utf8')).toContain(`${LIB} v1.2.0`);

      await writeVulnDatabase(join(work.path, 'db'), [oldParser, newEncoder]);
      expect((await proxy.vulnDatabase!.refresh()).outcome).toBe('updated');

      expect(await (await fetch(`${proxy.url}/${LIB}/@v/list`)).text()).toBe('v1.1.0\n');
      expect(JSON.parse(await (await fetch(`${proxy.url}/${LIB}/@latest`)).text()).Version).toBe('v1.1.0');
      await writeFile(join(app, 'go.mod'), 'module example.test/app\n\ngo 1.21\n');
      await runGo(['get', `${LIB}@latest`], { cwd: app, env: home.env });
      expect(await readFile(join(app, 'go.mod'), 'utf8')).toContain(`${LIB} v1.1.0`);

      // v1.2.0 is stored, and is not served any more.
      const fresh = await makeGoHome({ goproxy: proxy.url });
      try {
        const [denied] = await goModDownloadJson([`${LIB}@v1.2.0`], { env: fresh.env });
        expect(denied?.Error).toContain('affected by GO-2026-0102 (CVE-2026-2222; fixed in v1.3.0)');
      } finally {
        await fresh.dispose();
      }
    } finally {
      await home.dispose();
    }
  });

  it('warn serves affected versions and records the advisories in the audit trail and the metrics', async () => {
    const warned: AuditEntry[] = [];
    const warn = await startTestProxy({
      upstream: upstream.url,
      storagePath: store(),
      vulndb: { url: database.url },
      logger: auditLogger(warned),
      access: { policy: { vulnerable: 'warn' } },
    });
    const home = await makeGoHome({ goproxy: warn.url });
    try {
      expect((await warn.vulnDatabase!.refresh()).outcome).toBe('updated');
      const [affected, clean] = await goModDownloadJson([`${LIB}@v1.0.0`, 'github.com/acme/other@v1.0.0'], { env: home.env });
      expect(affected?.Error).toBeUndefined();
      expect(clean?.Error).toBeUndefined();
      const served = warned.filter((e) => e.module === LIB && e.version === 'v1.0.0');
      expect(served.map((e) => e.file).sort()).toEqual(['info', 'mod', 'zip']);
      for (const entry of served) expect(entry).toMatchObject({ status: 200, advisories: ['GO-2026-0101'] });
      for (const entry of warned.filter((e) => e.module === 'github.com/acme/other')) expect(entry).not.toHaveProperty('advisories');
      const metrics = await (await fetch(`${warn.url}/metrics`)).text();
      expect(metrics).toContain('gomodproxy_vulnerable_downloads_total{action="warn",file="zip"} 1');
      expect(warn.vulnerabilities.advisoriesFor(LIB, 'v1.0.0')?.map((a) => a.id)).toEqual(['GO-2026-0101']);
      // The web page's API says the same: the affected version names its advisory, a clean one none.
      type Browsed = { versions: Array<{ version: string; vulnerabilities?: string[] }> };
      const browse = async (path: string) => (await (await fetch(`${warn.url}/api/module?path=${encodeURIComponent(path)}`)).json()) as Browsed;
      expect((await browse(LIB)).versions.find((v) => v.version === 'v1.0.0')?.vulnerabilities).toEqual(['GO-2026-0101']);
      expect((await browse('github.com/acme/other')).versions.find((v) => v.version === 'v1.0.0')?.vulnerabilities).toEqual([]);
    } finally {
      await home.dispose();
      await warn.dispose();
    }
  });

  it('serves and records as unchecked what is fetched before the first snapshot exists', async () => {
    const early: AuditEntry[] = [];
    const empty = await tempFolder('gomodproxy-vulnerable-empty-');
    // A database that cannot be reached: the mirror has no snapshot.
    const unready = await startTestProxy({
      upstream: upstream.url,
      storagePath: empty.path,
      vulndb: { url: 'http://127.0.0.1:9' },
      logger: auditLogger(early),
      access: { policy: { vulnerable: 'deny' } },
    });
    const home = await makeGoHome({ goproxy: unready.url });
    try {
      const [result] = await goModDownloadJson([`${LIB}@v1.0.0`], { env: home.env });
      expect(result?.Error).toBeUndefined();
      expect(early.filter((e) => e.version === 'v1.0.0').map((e) => e.vulndb)).toEqual(['unchecked', 'unchecked', 'unchecked']);
      expect(await (await fetch(`${unready.url}/metrics`)).text()).toContain('gomodproxy_unchecked_downloads_total{file="zip"} 1');
      const status = await (await fetch(`${unready.url}/vulndb/status`)).json();
      expect(status).toMatchObject({ url: 'http://127.0.0.1:9', modified: null, refreshedAt: null });
    } finally {
      await home.dispose();
      await unready.dispose();
      await empty.dispose();
    }
  });

  it('gomodproxy vulns --json lists exactly the affected stored versions, from the snapshot in the store', async () => {
    const run = await runGomodproxy(['vulns', '--storage-path', store(), '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { database: { modified: string }; versions: number; affected: Array<{ module: string; version: string; advisories: Array<{ id: string; fixed: string }> }> };
    expect(report.database.modified).toBe('2026-03-02T00:00:00Z');
    // Stored: lib v1.0.0 (by the warn proxy), v1.1.0, v1.2.0, other v1.0.0.
    expect(report.versions).toBe(4);
    expect(report.affected.map((v) => ({ at: `${v.module}@${v.version}`, advisories: v.advisories.map((a) => `${a.id} fixed in ${a.fixed}`) }))).toEqual([
      { at: `${LIB}@v1.0.0`, advisories: ['GO-2026-0101 fixed in v1.1.0'] },
      { at: `${LIB}@v1.2.0`, advisories: ['GO-2026-0102 fixed in v1.3.0'] },
    ]);
    const table = await runGomodproxy(['vulns', '--storage-path', store(), '--id', 'CVE-2026-2222']);
    expect(table.stdout.split('\n')[1]).toMatch(/^GO-2026-0102 +github\.com\/acme\/lib@v1\.2\.0 +v1\.3\.0 +- +CVE-2026-2222 +Encoder writes past its buffer$/);
    expect(table.stdout).toContain('1 of 4 stored versions affected by 1 advisories (database modified 2026-03-02T00:00:00Z');
  });
});
