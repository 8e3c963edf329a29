// Replicas on one S3 bucket (a real MinIO on 127.0.0.1) share the vulnerability database: two
// proxies refresh from the source every second, at once, and a third, whose source answers nothing,
// serves what they stored. When the source changes, all three switch to the new complete snapshot.
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSnapshot } from '../../proxy/vulndb/index.ts';
import { s3StorageEnv, startS3Server, type S3Server } from '../fixtures/s3Server.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { writeVulnDatabase, type TestAdvisory } from '../fixtures/vulnDatabase.ts';
import { spawnProxy, tempFolder, type ProxyProcess } from '../e2e/harness.ts';

const first: TestAdvisory[] = [
  { id: 'GO-2024-3001', modified: '2024-08-01T00:00:00Z', affected: [{ module: 'github.com/acme/a', events: [{ introduced: '0' }, { fixed: '1.0.2' }] }] },
];
const second: TestAdvisory[] = [
  ...first,
  { id: 'GO-2024-3002', modified: '2024-08-05T00:00:00Z', affected: [{ module: 'github.com/acme/b', events: [{ introduced: '0' }] }] },
];

async function dbJson(proxy: ProxyProcess): Promise<{ status: number; body: string; stale: string | undefined }> {
  const answer = await request(`${proxy.url}/vulndb/index/db.json`);
  return { status: answer.statusCode, body: await answer.body.text(), stale: answer.headers['x-gomodproxy-stale'] as string | undefined };
}

/** Asks until `proxy` serves the db.json of `modified` (each proxy refreshes every second). */
async function untilServing(proxy: ProxyProcess, modified: string): Promise<{ stale: string | undefined }> {
  for (let attempt = 0; ; attempt++) {
    const answer = await dbJson(proxy);
    if (answer.status === 200 && JSON.parse(answer.body).modified === modified) return answer;
    if (attempt > 600) throw new Error(`${proxy.url} still serves ${answer.status} ${answer.body}:\n${proxy.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('replicas sharing a bucket share the vulnerability database', () => {
  let work: { path: string; dispose(): Promise<void> };
  let database: Upstream;
  let s3: S3Server;
  let bucket: string;
  const proxies: ProxyProcess[] = [];

  beforeAll(async () => {
    work = await tempFolder('gomodproxy-vulndb-bucket-');
    await writeVulnDatabase(join(work.path, 'db'), first);
    database = await startUpstream(join(work.path, 'db'));
    s3 = await startS3Server();
    bucket = await s3.createBucket();
    const shared = { ...s3StorageEnv(s3, bucket, 'proxy'), AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, GOMODPROXY_UPSTREAM: 'off', GOMODPROXY_VULNDB_REFRESH: '1s' };
    for (const [name, url] of [['a', database.url], ['b', database.url], ['offline', 'http://127.0.0.1:9']] as const) {
      proxies.push(await spawnProxy({ ...shared, GOMODPROXY_STORAGE_STAGING_PATH: join(work.path, `staging-${name}`), GOMODPROXY_VULNDB_URL: url }));
    }
  });
  afterAll(async () => {
    for (const proxy of proxies) await proxy.stop();
    await database?.close();
    await s3?.close();
    await work?.dispose();
  });

  it('the replica whose source is down serves the snapshot the others stored, marked stale; all switch together', async () => {
    const [a, b, offline] = proxies as [ProxyProcess, ProxyProcess, ProxyProcess];
    expect((await untilServing(a, '2024-08-01T00:00:00Z')).stale).toBeUndefined();
    expect((await untilServing(b, '2024-08-01T00:00:00Z')).stale).toBeUndefined();
    expect((await untilServing(offline, '2024-08-01T00:00:00Z')).stale).toMatch(/reason="index\/db\.json: cannot read http:\/\/127\.0\.0\.1:9\/index\/db\.json\.gz/);

    await writeVulnDatabase(join(work.path, 'db'), second);
    for (const proxy of proxies) await untilServing(proxy, '2024-08-05T00:00:00Z');
    const modules = await request(`${offline.url}/vulndb/index/modules.json.gz`);
    expect(JSON.parse(gunzipSync(Buffer.from(await modules.body.arrayBuffer())).toString()).map((m: { path: string }) => m.path)).toEqual(['github.com/acme/a', 'github.com/acme/b']);

    // The bucket holds complete snapshots only, the newest the new database.
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'proxy/gomodproxy/vulndb/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!).sort();
    expect(keys).toEqual(['proxy/gomodproxy/vulndb/snapshot-20240801000000000.json.gz', 'proxy/gomodproxy/vulndb/snapshot-20240805000000000.json.gz']);
    for (const key of keys) {
      const object = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const { database: stored } = decodeSnapshot(key, Buffer.from(await object.Body!.transformToByteArray()));
      expect(stored.entries.size).toBe(key.includes('0805') ? 2 : 1);
    }
  });
});
