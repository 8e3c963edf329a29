// The proxy on S3 storage for benchmarks: a MinIO started on 127.0.0.1 (built by
// test/storage/ensureS3Server.sh when missing, as npm test's pretest does), a fresh bucket, and
// the production command line configured through GOMODPROXY_STORAGE_* and AWS_* variables.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { minioBinary, minioVersion, startS3Server, type S3Server } from '../test/fixtures/s3Server.ts';
import type { Cleanup } from './cleanup.ts';
import { repositoryRoot, spawnProxyProcess, type ChildServer, type ProxyProcessOptions } from './processes.ts';
import { progress } from './results.ts';

/** What the benchmarks' S3 server is, for their setup text. */
export const s3ServerDescription = (): string => `MinIO ${minioVersion()} on 127.0.0.1 (one local drive), path-style, plain http`;

/** Starts MinIO for the rest of the benchmark; it is stopped by the cleanup. */
export async function startBenchS3(cleanup: Cleanup): Promise<S3Server> {
  if (!existsSync(minioBinary())) {
    progress('building MinIO (test/storage/ensureS3Server.sh)');
    execFileSync('bash', [join(repositoryRoot, 'test', 'storage', 'ensureS3Server.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const s3 = await startS3Server();
  cleanup.defer('stop MinIO', () => s3.close());
  return s3;
}

/** A proxy process keeping its modules in a new bucket of `s3`. */
export async function spawnS3ProxyProcess(cleanup: Cleanup, s3: S3Server, options: Omit<ProxyProcessOptions, 'storagePath'>): Promise<ChildServer> {
  return spawnProxyProcess(cleanup, {
    ...options,
    env: {
      GOMODPROXY_STORAGE_TYPE: 's3',
      GOMODPROXY_STORAGE_BUCKET: await s3.createBucket(),
      GOMODPROXY_STORAGE_ENDPOINT: s3.endpoint,
      GOMODPROXY_STORAGE_REGION: s3.region,
      GOMODPROXY_STORAGE_FORCE_PATH_STYLE: 'true',
      GOMODPROXY_STORAGE_STAGING_PATH: await cleanup.tempFolder('gomodproxy-bench-staging-'),
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      ...options.env,
    },
  });
}
