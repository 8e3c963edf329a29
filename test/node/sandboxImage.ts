// The pod sandbox image containerd runs for every pod (its `sandbox_image`), made here because no
// registry is reachable: pause.go built static by the machine's go, as the one file of one layer,
// written in `docker save`'s archive format, which `ctr images import` reads.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, removeTempDir } from '../fixtures/goCommand.ts';

const run = promisify(execFile);

/** The name containerd's CRI plugin looks for (its default sandbox_image in 1.6). */
export const SANDBOX_IMAGE = 'registry.k8s.io/pause:3.6';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The archive's path; built when missing (kept beside the cluster's binaries). */
export async function sandboxImageArchive(): Promise<string> {
  const cacheRoot = process.env['GOMODPROXY_TEST_TOOLS'] ?? join(homedir(), '.cache', 'gomodproxy-test-tools');
  const source = await readFile(join(import.meta.dirname, 'pause.go'));
  const archive = join(cacheRoot, `pause-image-${sha256(source).slice(0, 12)}.tar`);
  if (existsSync(archive)) return archive;
  const work = await makeTempDir('gomodproxy-pause-');
  try {
    const rootfs = join(work, 'rootfs');
    await mkdir(rootfs);
    await run('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', join(rootfs, 'pause'), join(import.meta.dirname, 'pause.go')], {
      env: { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '' },
    });
    const image = join(work, 'image');
    await mkdir(image);
    await run('tar', ['--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', rootfs, '-cf', join(image, 'layer.tar'), 'pause']);
    const layerDigest = sha256(await readFile(join(image, 'layer.tar')));
    const config = Buffer.from(JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/pause'], User: '65535:65535' },
      rootfs: { type: 'layers', diff_ids: [`sha256:${layerDigest}`] },
    }));
    const configFile = `${sha256(config)}.json`;
    await writeFile(join(image, configFile), config);
    await writeFile(join(image, 'manifest.json'), JSON.stringify([{ Config: configFile, RepoTags: [SANDBOX_IMAGE], Layers: ['layer.tar'] }]));
    await mkdir(cacheRoot, { recursive: true });
    await run('tar', ['--owner=0', '--group=0', '--numeric-owner', '-C', image, '-cf', `${archive}.partial`, '.']);
    await rename(`${archive}.partial`, archive);
    return archive;
  } finally {
    await removeTempDir(work);
  }
}
