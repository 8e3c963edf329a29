// audit.storage on S3 (a real MinIO on 127.0.0.1): two proxy processes sharing one bucket keep one
// audit trail in it, as day files under the storage prefix; one writes every 100ms, the other (every
// 24h) at shutdown; `gomodproxy audit` reads the whole trail back from the bucket, filtered.
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../proxy/access/audit.ts';
import { goModDownloadJson, makeGoHome } from '../fixtures/goCommand.ts';
import { writeModuleTree, type FixtureModule } from '../fixtures/moduleTree.ts';
import { s3StorageEnv, startS3Server, type S3Server } from '../fixtures/s3Server.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { runGomodproxy, spawnProxy, tempFolder, type ProxyProcess } from './harness.ts';

const one: FixtureModule = { path: 'github.com/acme/one', version: 'v1.0.0', files: { 'one.go': 'package one\n' } };
const two: FixtureModule = { path: 'github.com/acme/two', version: 'v1.0.0', files: { 'two.go': 'package two\n' } };

describe('audit trail in a shared bucket', () => {
  let tree: { path: string; dispose(): Promise<void> };
  let work: { path: string; dispose(): Promise<void> };
  let upstream: Upstream;
  let s3: S3Server;
  let bucket: string;
  let storageEnv: Record<string, string>;
  let often: ProxyProcess;
  let atShutdown: ProxyProcess;

  beforeAll(async () => {
    tree = await tempFolder('gomodproxy-audit-bucket-tree-');
    work = await tempFolder('gomodproxy-audit-bucket-');
    await writeModuleTree(tree.path, [one, two]);
    upstream = await startUpstream(tree.path);
    s3 = await startS3Server();
    bucket = await s3.createBucket();
    storageEnv = {
      ...s3StorageEnv(s3, bucket, 'proxy'),
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    };
    // Fetching ahead off: each file's first request is then the miss the trail is checked for.
    const shared = { ...storageEnv, GOMODPROXY_UPSTREAM: upstream.url, GOMODPROXY_AUDIT_STORAGE: 'true', GOMODPROXY_FETCH_AHEAD: 'off' };
    const settings = join(work.path, 'often.yaml');
    await writeFile(settings, 'audit:\n  flushEvery: 100ms\n');
    often = await spawnProxy({ ...shared, GOMODPROXY_STORAGE_STAGING_PATH: join(work.path, 'staging-often') }, ['--config', settings]);
    const rarely = join(work.path, 'rarely.yaml');
    await writeFile(rarely, 'audit:\n  flushEvery: 24h\n');
    atShutdown = await spawnProxy({ ...shared, GOMODPROXY_STORAGE_STAGING_PATH: join(work.path, 'staging-shutdown') }, ['--config', rarely]);
  });

  afterAll(async () => {
    await often?.stop();
    await atShutdown?.stop();
    await upstream?.close();
    await s3?.close();
    await work?.dispose();
    await tree?.dispose();
  });

  async function download(goproxy: string, target: string): Promise<void> {
    const home = await makeGoHome({ goproxy });
    try {
      const [result] = await goModDownloadJson([target], { env: home.env });
      expect(result?.Error).toBeUndefined();
    } finally {
      await home.dispose();
    }
  }

  async function auditKeys(): Promise<string[]> {
    const listing = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'proxy/gomodproxy/audit/' }));
    return (listing.Contents ?? []).map((object) => object.Key!).sort();
  }

  async function auditLinesInBucket(): Promise<number> {
    let lines = 0;
    for (const key of await auditKeys()) {
      const object = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      lines += (await object.Body!.transformToString()).split('\n').filter(Boolean).length;
    }
    return lines;
  }

  const audit = async (args: string[]): Promise<AuditEntry[]> => {
    const result = await runGomodproxy(['audit', '--json', ...args], storageEnv);
    expect(result.code, result.stderr).toBe(0);
    return result.stdout.trim() === '' ? [] : result.stdout.trim().split('\n').map((line) => JSON.parse(line) as AuditEntry);
  };
  const served = (entries: AuditEntry[]) => entries.map((e) => `${e.module}@${e.version} ${e.file} ${e.status} ${e.cache}`).sort();

  const today = new Date().toISOString().slice(0, 10);
  const linesOf = (module: FixtureModule) => ['info', 'mod', 'zip'].map((file) => `${module.path}@${module.version} ${file} 200 miss`);

  it('the proxy writing every 100ms has its day file in the bucket while it serves; the other keeps its lines', async () => {
    await download(often.url, `${one.path}@${one.version}`);
    await download(atShutdown.url, `${two.path}@${two.version}`);
    // Its three lines may take more than one flush: wait until all are in the bucket.
    let lines = 0;
    for (let attempt = 0; attempt < 600 && lines < 3; attempt++) {
      lines = await auditLinesInBucket();
      if (lines < 3) await sleep(100);
    }
    expect(lines).toBe(3);
    // One read of the bucket: the first proxy's lines are there, the second's (flushEvery 24h) not yet.
    expect(served(await audit([]))).toEqual(linesOf(one));
  });

  it('the other writes its lines when it stops; gomodproxy audit reads one trail from both', async () => {
    await atShutdown.stop();
    const keys = await auditKeys();
    const dayFile = new RegExp(`^proxy/gomodproxy/audit/${today}/\\d{8}t\\d{9}z-[0-9a-f]{12}\\.jsonl$`);
    for (const key of keys) expect(key).toMatch(dayFile);
    expect(keys.length).toBeGreaterThanOrEqual(2);

    const trail = await audit([]);
    expect(served(trail)).toEqual([...linesOf(one), ...linesOf(two)]);
    for (const entry of trail) {
      expect(entry).toMatchObject({ identity: null, client: '127.0.0.1', deny: null });
      expect(entry.time.slice(0, 10)).toBe(today);
    }
    // Oldest first, across both proxies' files.
    expect(trail.map((e) => e.time)).toEqual(trail.map((e) => e.time).sort());
    expect(served(await audit(['--module', two.path, '--version', two.version, '--since', '1h']))).toEqual(linesOf(two));
  });
});
