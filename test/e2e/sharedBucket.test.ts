// Two proxy processes share one S3 bucket (a real MinIO on 127.0.0.1) and are hammered at once,
// by the go command and by plain HTTP clients, for the same modules, none of them cached: every
// client gets the content the go command computes from the modules' own files, and the upstream
// is asked for each module version file at most twice (once per proxy, at most).
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileProxyUrl, goModDownloadJson, makeGoHome, type GoModDownload } from '../fixtures/goCommand.ts';
import { bigZipModule, largeCorpus, moduleFile, writeModuleTree, type FixtureModule } from '../fixtures/moduleTree.ts';
import { s3StorageEnv, startS3Server, type S3Server } from '../fixtures/s3Server.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { spawnProxy, tempFolder, type ProxyProcess } from './harness.ts';

describe('two proxies sharing one bucket', () => {
  // 40 small versions, and a zip of 40 MiB that goes up in parts.
  const corpus: FixtureModule[] = [...largeCorpus(40), bigZipModule(40 << 20)];
  const moduleVersions = corpus.map((m) => `${m.path}@${m.version}`);
  let tree: { path: string; dispose(): Promise<void> };
  let work: { path: string; dispose(): Promise<void> };
  let upstream: Upstream;
  let s3: S3Server;
  let bucket: string;
  const proxies: ProxyProcess[] = [];

  beforeAll(async () => {
    tree = await tempFolder('gomodproxy-shared-tree-');
    work = await tempFolder('gomodproxy-shared-');
    await writeModuleTree(tree.path, corpus);
    upstream = await startUpstream(tree.path);
    // Slow zips keep both proxies' fetches of one file in flight at the same time.
    upstream.fail((path) => path.endsWith('.zip'), { delayMs: 300 });
    s3 = await startS3Server();
    bucket = await s3.createBucket();
    const shared = { GOMODPROXY_UPSTREAM: upstream.url, ...s3StorageEnv(s3, bucket, 'proxy') };
    // One proxy takes the SDK's own AWS_* variables, the other env: and file: references in its settings file.
    proxies.push(
      await spawnProxy({
        ...shared,
        GOMODPROXY_STORAGE_STAGING_PATH: join(work.path, 'staging-a'),
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      }),
    );
    const secretFile = join(work.path, 's3-secret');
    await writeFile(secretFile, `${s3.secretAccessKey}\n`);
    const settings = join(work.path, 'b.yaml');
    await writeFile(
      settings,
      ['storage:', '  type: s3', '  credentials:', '    accessKeyId: env:S3_KEY_ID', `    secretAccessKey: file:${secretFile}`, ''].join('\n'),
    );
    proxies.push(
      await spawnProxy({ ...shared, GOMODPROXY_STORAGE_STAGING_PATH: join(work.path, 'staging-b'), S3_KEY_ID: s3.accessKeyId }, ['--config', settings]),
    );
  });

  afterAll(async () => {
    for (const proxy of proxies) await proxy.stop();
    await upstream?.close();
    await s3?.close();
    await work?.dispose();
    await tree?.dispose();
  });

  it('every client gets correct content, and the upstream is asked at most twice per file', async () => {
    // What the go command itself computes from the same files, read straight from the tree.
    const reference = await downloadThrough(fileProxyUrl(tree.path));
    expect(reference.filter((d) => d.Error)).toEqual([]);

    // Two go commands and 64 HTTP requests per proxy, all at once.
    const zipDigests = new Map(
      await Promise.all(corpus.map(async (m) => [moduleFile('', m, 'zip'), sha256(await readFile(moduleFile(tree.path, m, 'zip')))] as const)),
    );
    const zipPaths = [...zipDigests.keys()];
    const [goResults, httpResults] = await Promise.all([
      Promise.all(proxies.flatMap((proxy) => [downloadThrough(proxy.url), downloadThrough(proxy.url)])),
      Promise.all(
        proxies.flatMap((proxy) =>
          Array.from({ length: 64 }, async (_, i) => {
            const path = zipPaths[i % zipPaths.length]!;
            const response = await request(`${proxy.url}/${path}`);
            const hash = createHash('sha256');
            for await (const chunk of response.body) hash.update(chunk as Buffer);
            return { path, status: response.statusCode, digest: hash.digest('hex') };
          }),
        ),
      ),
    ]);

    const expected = sums(reference);
    for (const downloads of goResults) {
      expect(downloads.filter((d) => d.Error).map((d) => `${d.Path}@${d.Version}: ${d.Error}`)).toEqual([]);
      expect(sums(downloads)).toEqual(expected);
    }
    for (const { path, status, digest } of httpResults) {
      expect(status, path).toBe(200);
      expect(digest, path).toBe(zipDigests.get(path));
    }

    for (const m of corpus) {
      for (const ext of ['info', 'mod', 'zip'] as const) {
        const path = moduleFile('', m, ext);
        const asked = upstream.count(path);
        expect(asked, path).toBeGreaterThanOrEqual(1);
        expect(asked, path).toBeLessThanOrEqual(2);
      }
    }

    // The bucket holds one object per file, in the disk layout under the prefix.
    const keys = await listAll(`proxy/github.com/acme/bigzip/@v/`);
    expect(keys.sort()).toEqual(['proxy/github.com/acme/bigzip/@v/list', 'proxy/github.com/acme/bigzip/@v/v1.0.0.info', 'proxy/github.com/acme/bigzip/@v/v1.0.0.mod', 'proxy/github.com/acme/bigzip/@v/v1.0.0.provenance', 'proxy/github.com/acme/bigzip/@v/v1.0.0.zip', 'proxy/github.com/acme/bigzip/@v/v1.0.0.ziphash']);

    // Served from the bucket from now on, by either proxy, without asking the upstream again.
    const before = upstream.requests.length;
    for (const proxy of proxies) expect(sums(await downloadThrough(proxy.url))).toEqual(expected);
    expect(upstream.requests.length).toBe(before);
  });

  it('a proxy given a bucket that does not exist stops at start with one line saying so', async () => {
    const failed = await spawnProxy({
      GOMODPROXY_UPSTREAM: upstream.url,
      GOMODPROXY_STORAGE_TYPE: 's3',
      GOMODPROXY_STORAGE_BUCKET: 'no-such-bucket',
      GOMODPROXY_STORAGE_ENDPOINT: s3.endpoint,
      GOMODPROXY_STORAGE_FORCE_PATH_STYLE: 'true',
      GOMODPROXY_STORAGE_STAGING_PATH: join(work.path, 'staging-c'),
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    }).then(
      () => null,
      (err: unknown) => (err as Error).message,
    );
    expect(failed).toBe(
      `proxy exited with 1 before serving:\ngomodproxy: S3 bucket "no-such-bucket" does not exist at ${s3.endpoint}; create it, or fix storage.bucket (GOMODPROXY_STORAGE_BUCKET)\n`,
    );
  });

  async function downloadThrough(goproxy: string): Promise<GoModDownload[]> {
    const goHome = await makeGoHome({ goproxy });
    try {
      return await goModDownloadJson(moduleVersions, { env: goHome.env, timeoutMs: 240_000 });
    } finally {
      await goHome.dispose();
    }
  }

  async function listAll(prefix: string): Promise<string[]> {
    const listing = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (listing.Contents ?? []).map((object) => object.Key!);
  }
});

function sums(downloads: GoModDownload[]): string[] {
  return downloads.map((d) => `${d.Path}@${d.Version} ${d.Sum} ${d.GoModSum}`).sort();
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
