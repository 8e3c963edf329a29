// The proxy on S3 storage for benchmarks: a MinIO started on 127.0.0.1 (built by
// test/storage/ensureS3Server.sh when missing, as npm test's pretest does), a fresh bucket, and
// the production command line configured through GOMODPROXY_STORAGE_* and AWS_* variables.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { processSettingsFor } from '../cli/processSettings.ts';
import { minioBinary, minioVersion, startS3Server, type S3Server } from '../test/fixtures/s3Server.ts';
import type { Cleanup } from './cleanup.ts';
import { plainJavaScriptCopy, repositoryRoot, spawnProxyProcess, spawnServer, type ChildServer, type ProxyProcessOptions } from './processes.ts';
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

/**
 * Spawns bench/s3StreamServer.ts serving `bucket` of `s3`: the floor of serving from S3 with the AWS
 * SDK, one GetObject streamed per request. It runs as plain JavaScript (plainJavaScriptCopy) with
 * serve's node flags and allocator settings (cli/processSettings.ts), so that its memory is
 * comparable with the proxy's.
 */
export async function spawnS3StreamServer(cleanup: Cleanup, s3: S3Server, bucket: string): Promise<ChildServer> {
  const program = await plainJavaScriptCopy(cleanup, 's3StreamServer');
  const serve = processSettingsFor(['node', 'gomodproxy', 'serve'], process.platform);
  return spawnServer(cleanup, {
    what: 'S3 stream server',
    args: [...serve.nodeFlags, program],
    readyPath: '/',
    pollMs: 5,
    env: (port) => ({
      ...serve.environment,
      S3_STREAM_PORT: String(port),
      S3_SDK: import.meta.resolve('@aws-sdk/client-s3'),
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_BUCKET: bucket,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    }),
  });
}
