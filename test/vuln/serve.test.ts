// /vulndb/ as clients see it: the upstream's bytes in the layout govulncheck reads, the gzip forms,
// clear answers before the first snapshot and for paths it does not hold, the stale mark while the
// source is down, and the access rules of paths that name no module.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { writeVulnDatabase, type TestAdvisory } from '../fixtures/vulnDatabase.ts';
import { startTestProxy, tempFolder, type TestProxy } from '../e2e/harness.ts';

const advisories: TestAdvisory[] = [
  { id: 'GO-2023-1001', modified: '2023-05-01T00:00:00Z', aliases: ['CVE-2023-1001', 'GHSA-aaaa-bbbb-cccc'], affected: [{ module: 'github.com/acme/a', events: [{ introduced: '0' }, { fixed: '1.0.1' }] }] },
  { id: 'GO-2023-1002', modified: '2023-05-02T00:00:00Z', affected: [{ module: 'github.com/acme/b', events: [{ introduced: '1.1.0' }] }, { module: 'github.com/acme/a', events: [{ introduced: '2.0.0' }, { fixed: '2.0.4' }] }] },
];

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const response = await request(url, { headers });
  const body = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, headers: response.headers as Record<string, string>, body };
}

describe('/vulndb/', () => {
  let work: { path: string; dispose(): Promise<void> };
  let database: Upstream;
  let files: Map<string, Buffer>;
  let proxy: TestProxy;

  beforeAll(async () => {
    work = await tempFolder('gomodproxy-vulndb-serve-');
    files = await writeVulnDatabase(join(work.path, 'db'), advisories);
    database = await startUpstream(join(work.path, 'db'));
    proxy = await startTestProxy({ upstream: 'off', vulndb: { url: database.url } });
    await proxy.vulnDatabase!.refresh();
  });
  afterAll(async () => {
    await proxy?.dispose();
    await database?.close();
    await work?.dispose();
  });

  it('serves every file of the layout, as the upstream wrote it and gzip-compressed', async () => {
    expect([...files.keys()].sort()).toEqual(['ID/GO-2023-1001.json', 'ID/GO-2023-1002.json', 'index/db.json', 'index/modules.json', 'index/vulns.json']);
    for (const [path, bytes] of files) {
      const plain = await get(`${proxy.url}/vulndb/${path}`);
      expect(plain.status, path).toBe(200);
      expect(plain.headers['content-type']).toBe('application/json');
      expect(plain.body.equals(bytes), path).toBe(true);
      const packed = await get(`${proxy.url}/vulndb/${path}.gz`);
      expect(packed.status).toBe(200);
      expect(packed.headers['content-type']).toBe('application/gzip');
      expect(gunzipSync(packed.body).equals(bytes), `${path}.gz`).toBe(true);
      expect(packed.headers['x-gomodproxy-stale']).toBeUndefined();
    }
  });

  it.each([
    ['/vulndb/ID/GO-2023-9999.json', 404, /not in the vulnerability database: \/vulndb\/ID\/GO-2023-9999\.json; it holds index\/db\.json/],
    ['/vulndb/ID/..%2findex%2fdb.json', 404, /not in the vulnerability database/],
    ['/vulndb/index/other.json', 404, /not in the vulnerability database/],
    ['/vulndb/', 404, /not in the vulnerability database/],
  ])('%s answers %i with what it holds', async (path, status, text) => {
    const answer = await get(`${proxy.url}${path}`);
    expect(answer.status).toBe(status);
    expect(answer.body.toString()).toMatch(text);
  });

  it('marks the snapshot stale while the source is down, and clears the mark when it is back', async () => {
    database.fail(() => true, { status: 503 });
    expect((await proxy.vulnDatabase!.refresh()).outcome).toBe('failed');
    const stale = await get(`${proxy.url}/vulndb/index/modules.json.gz`);
    expect(stale.status).toBe(200);
    expect(gunzipSync(stale.body).equals(files.get('index/modules.json')!)).toBe(true);
    expect(stale.headers['x-gomodproxy-stale']).toMatch(/^since=\S+; reason="index\/db\.json: .* answered 503"$/);
    database.clearFailures();
    expect((await proxy.vulnDatabase!.refresh()).outcome).toBe('unchanged');
    expect((await get(`${proxy.url}/vulndb/index/db.json`)).headers['x-gomodproxy-stale']).toBeUndefined();
  });

  it('counts refreshes by outcome and shows the snapshot\'s times in /metrics', async () => {
    const metrics = (await get(`${proxy.url}/metrics`)).body.toString();
    // The first refresh made the snapshot; the stale test above added a failed and an unchanged one.
    expect(metrics).toMatch(/^gomodproxy_vulndb_refreshes_total\{outcome="updated"\} 1$/m);
    expect(metrics).toMatch(/^gomodproxy_vulndb_refreshes_total\{outcome="failed"\} 1$/m);
    expect(metrics).toMatch(/^gomodproxy_vulndb_refreshes_total\{outcome="unchanged"\} 1$/m);
    expect(metrics).toContain(`gomodproxy_vulndb_snapshot_seconds{time="modified"} ${Date.parse('2023-05-02T00:00:00Z') / 1000}\n`);
    const refreshed = Number(/^gomodproxy_vulndb_snapshot_seconds\{time="refreshed"\} (\S+)$/m.exec(metrics)?.[1]);
    expect(refreshed * 1000).toBe(proxy.vulnDatabase!.current()!.refreshedAt.getTime());
  });

  it('answers 503 with the reason before the first snapshot, and 404 when the mirror is off', async () => {
    const unreachable = await startTestProxy({ upstream: 'off', vulndb: { url: 'http://127.0.0.1:9' } });
    const off = await startTestProxy({ upstream: 'off' });
    try {
      await unreachable.vulnDatabase!.refresh();
      const early = await get(`${unreachable.url}/vulndb/index/db.json.gz`);
      expect(early.status).toBe(503);
      expect(early.body.toString()).toMatch(/^the vulnerability database from http:\/\/127\.0\.0\.1:9 is not mirrored yet \(last refresh: index\/db\.json: cannot read http:\/\/127\.0\.0\.1:9\/index\/db\.json\.gz: .*\)\n$/);
      const disabled = await get(`${off.url}/vulndb/index/db.json.gz`);
      expect(disabled.status).toBe(404);
      expect(disabled.body.toString()).toBe('this proxy does not mirror the Go vulnerability database (its vulndb setting is off)\n');
    } finally {
      await unreachable.dispose();
      await off.dispose();
    }
  });

  it('with auth on, an anonymous client is asked to sign in and a signed-in one reads it', async () => {
    const token = 'vulndb-reader-token';
    const tokenFile = join(work.path, 'reader.sha256');
    await writeFile(tokenFile, createHash('sha256').update(token).digest('hex'));
    const guarded = await startTestProxy({ upstream: 'off', vulndb: { url: database.url }, auth: { tokens: [{ name: 'reader', sha256: `file:${tokenFile}` }] } });
    try {
      await guarded.vulnDatabase!.refresh();
      const anonymous = await get(`${guarded.url}/vulndb/index/db.json.gz`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toMatch(/^Basic /);
      const signedIn = await get(`${guarded.url}/vulndb/index/db.json.gz`, { authorization: `Basic ${Buffer.from(`any:${token}`).toString('base64')}` });
      expect(signedIn.status).toBe(200);
      expect(gunzipSync(signedIn.body).equals(files.get('index/db.json')!)).toBe(true);
    } finally {
      await guarded.dispose();
    }
  });
});
