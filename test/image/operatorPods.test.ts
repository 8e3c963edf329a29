// The image contract, run: the pods the operator renders for a GoModuleProxy (the proxy's
// Deployment and the cleanup CronJob) are run in the image built from our Dockerfile, translated
// field by field into podman containers by podAsContainer.ts (command/args, env from Secrets,
// ConfigMap/PVC/emptyDir volumes, user, fsGroup, read-only root, dropped capabilities). A PVC
// proxy keeps its modules on its claim and the cleanup job prunes them there and reports; an S3
// proxy keeps them in its bucket.
//
// One thing differs from a cluster: a pod has a network namespace of its own, while these
// containers share the machine's (podman --network host, so that they reach the test's servers on
// 127.0.0.1). The rendered port 3000 may be taken here, so the one variable GOMODPROXY_LISTEN moves
// the proxy to a free port on 127.0.0.1; everything else is the rendered pod.
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTerminationMessage } from '../../operator/controller/lastCleanup.ts';
import { objectNames, renderOwnedObjects, type KubeObject } from '../../operator/render/index.ts';
import { tempFolder } from '../e2e/harness.ts';
import { freePort } from '../fixtures/freePort.ts';
import { goModDownloadJson, makeGoHome } from '../fixtures/goCommand.ts';
import { standardCorpus, writeModuleTree } from '../fixtures/moduleTree.ts';
import { startS3Server, S3_TEST_REGION, type S3Server } from '../fixtures/s3Server.ts';
import { startChecksumDatabase, type ChecksumDatabaseServer } from '../fixtures/sumdbServer.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { goModuleProxy } from '../operator/fixtures.ts';
import { podAsContainer, type PodSurroundings } from './podAsContainer.ts';
import { ensureImage, IMAGE_BUILD_TIMEOUT, runContainer, startContainer, type Container } from './podman.ts';

type Folder = { path: string; dispose(): Promise<void> };

/** Every file under a folder, relative to it. */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(folder, join(e.parentPath, e.name))).sort();
}

function byKind(objects: KubeObject[]): Record<string, any> {
  return Object.fromEntries(objects.map((o) => [o.kind, o]));
}

function configMapsOf(objects: KubeObject[]): PodSurroundings['configMaps'] {
  return Object.fromEntries(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o['data'] as Record<string, string>]));
}

describe('the pods the operator renders, run in the image', () => {
  const corpus = standardCorpus();
  // Three releases of one module: a cleanup keeping the latest one removes two.
  const releases = corpus.filter((m) => m.path === 'github.com/acme/base' && /^v\d+\.\d+\.\d+$/.test(m.version));
  const targets = releases.map((m) => `${m.path}@${m.version}`);
  let image: string;
  let tree: Folder;
  let upstream: Upstream;
  let db: ChecksumDatabaseServer;
  const folders: Folder[] = [];
  const containers: Container[] = [];

  async function folder(prefix: string): Promise<string> {
    const made = await tempFolder(prefix);
    folders.push(made);
    return made.path;
  }

  /** Starts the Deployment's pod and gives the proxy's URL once it listens. */
  async function startServingPod(objects: KubeObject[], around: PodSurroundings): Promise<{ container: Container; url: string }> {
    const pod = byKind(objects)['Deployment'].spec.template.spec;
    const options = await podAsContainer(pod, image, around);
    const container = startContainer({ ...options, env: { ...options.env, GOMODPROXY_LISTEN: `127.0.0.1:${await freePort()}` } });
    containers.push(container);
    const url = (await container.waitForOutput(/"url":"(http:\/\/[^"]+)"/))[1]!;
    return { container, url };
  }

  async function downloadThrough(url: string): Promise<void> {
    const home = await makeGoHome({ goproxy: url, gosumdb: db.vkey });
    try {
      const results = await goModDownloadJson(targets, { env: home.env });
      expect(results.map((r) => r.Error ?? 'ok')).toEqual(targets.map(() => 'ok'));
    } finally {
      await home.dispose();
    }
  }

  beforeAll(async () => {
    ({ image } = await ensureImage());
    expect(releases).toHaveLength(3);
    tree = await tempFolder('gomodproxy-pods-tree-');
    await writeModuleTree(tree.path, corpus);
    upstream = await startUpstream(tree.path);
    db = await startChecksumDatabase();
    await db.addFixtures(corpus);
  }, IMAGE_BUILD_TIMEOUT);
  afterAll(async () => {
    for (const container of containers) await container.remove();
    for (const made of folders) await made.dispose();
    await db?.close();
    await upstream?.close();
    await tree?.dispose();
  });

  it('a PVC proxy stores on its claim, stops cleanly, and its cleanup job prunes the claim and reports', async () => {
    const proxy = goModuleProxy({
      upstream: upstream.url,
      sumdb: db.setting,
      // The proxy's own default mirrors vuln.go.dev; a test reaches nothing beyond this machine.
      vulndb: { enabled: false },
      storage: { pvc: {} },
      retention: { keepSince: '1ms', keepLatest: 1 },
    });
    const objects = renderOwnedObjects(proxy, { defaultImage: image });
    const claim = await folder('gomodproxy-pods-claim-');
    const around = async (): Promise<PodSurroundings> => ({
      configMaps: configMapsOf(objects),
      secrets: {},
      claims: { [objectNames(proxy).pvc]: claim },
      podFolder: await folder('gomodproxy-pod-'),
    });

    const { container, url } = await startServingPod(objects, await around());
    await downloadThrough(url);
    const zipsOnClaim = (files: string[]) => files.filter((file) => file.endsWith('.zip'));
    expect(zipsOnClaim(await filesUnder(claim))).toHaveLength(3);
    expect(await container.stop()).toBe(0);

    const cleanupPod = byKind(objects)['CronJob'].spec.jobTemplate.spec.template.spec;
    const cleanup = await podAsContainer(cleanupPod, image, await around());
    const { code, output } = await runContainer(cleanup);
    expect(code, output).toBe(0);
    const report = parseTerminationMessage(await cleanup.terminationMessage());
    expect(report).toMatchObject({ ok: true, report: { removedVersions: 2 } });
    const left = zipsOnClaim(await filesUnder(claim));
    expect(left).toHaveLength(1);
    expect(left[0]).toContain(releases.at(-1)!.version);
  });

  describe('an S3 proxy', () => {
    let s3: S3Server;
    beforeAll(async () => {
      s3 = await startS3Server();
    });
    afterAll(async () => {
      await s3?.close();
    });

    it('starts with its rendered settings and keeps modules in its bucket', async () => {
      const bucket = await s3.createBucket();
      const proxy = goModuleProxy({
        upstream: upstream.url,
        sumdb: db.setting,
        vulndb: { enabled: false },
        storage: { s3: { bucket, endpoint: s3.endpoint, region: S3_TEST_REGION, credentialsSecretRef: { name: 'bucket-credentials' } } },
      });
      const objects = renderOwnedObjects(proxy, { defaultImage: image });
      const { url } = await startServingPod(objects, {
        configMaps: configMapsOf(objects),
        secrets: { 'bucket-credentials': { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey } },
        claims: {},
        podFolder: await folder('gomodproxy-pod-'),
      });
      await downloadThrough(url);
      const listing = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket }));
      const zips = (listing.Contents ?? []).map((o) => o.Key!).filter((key) => key.endsWith('.zip'));
      expect(zips).toHaveLength(3);
    });
  });
});
