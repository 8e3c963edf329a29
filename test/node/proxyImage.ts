// The project's image, built from its Dockerfile by test/image/ensureImage.sh, for the node: the
// reference it has and the `podman save` archive that containerd imports under that reference.
import { execFile } from 'node:child_process';
import { copyFile, link } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type ProxyImage = {
  /** e.g. localhost/gomodproxy:<key> */
  reference: string;
  repository: string;
  tag: string;
  archive: string;
};

/**
 * The image, built when missing; its archive hard-linked into keepIn at once, since the shared
 * cache keeps only the newest archives and another run may remove this one while the test runs.
 */
export async function proxyImage(keepIn: string): Promise<ProxyImage> {
  const script = join(import.meta.dirname, '..', 'image', 'ensureImage.sh');
  // A cold build (the base image, npm ci) takes minutes; an unchanged tree builds nothing.
  const { stdout } = await run('bash', [script], { maxBuffer: 1 << 20, timeout: 60 * 60_000 });
  const values = Object.fromEntries(stdout.trim().split('\n').map((line) => line.split('=', 2) as [string, string]));
  const reference = values['image'];
  const archive = values['archive'];
  if (!reference || !archive) throw new Error(`${script} printed no image= and archive= lines:\n${stdout}`);
  const kept = join(keepIn, basename(archive));
  await link(archive, kept).catch(() => copyFile(archive, kept));
  const colon = reference.lastIndexOf(':');
  return { reference, repository: reference.slice(0, colon), tag: reference.slice(colon + 1), archive: kept };
}
