// The floor for serving from S3: a plain node:http server that answers GET /<key> by streaming the
// object <key> of one bucket with the AWS SDK (one GetObjectCommand per request, its body piped
// into the response), as the simplest S3-backed file server would. No ranges, no shared reads, no
// checks, no routing framework, no logging.
//
//   S3_STREAM_PORT=8080 S3_SDK=<URL of @aws-sdk/client-s3's entry> S3_ENDPOINT=http://127.0.0.1:9000
//   S3_BUCKET=b S3_REGION=us-east-1 AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… node bench/s3StreamServer.ts
//
// The SDK is named by URL because the benchmark runs this file as plain JavaScript from a
// temporary folder (bench/processes.ts), where no node_modules is beside it. GET / answers 200 "ok"
// (readiness).

import { createServer, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const { S3Client, GetObjectCommand } = (await import(env('S3_SDK'))) as typeof import('@aws-sdk/client-s3');
const client = new S3Client({ endpoint: env('S3_ENDPOINT'), region: env('S3_REGION'), forcePathStyle: true });
const bucket = env('S3_BUCKET');

function answerText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer(async (req, res) => {
  const key = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/').slice(1);
  if (key === '') return answerText(res, 200, 'ok\n');
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': object.ContentLength });
    await pipeline(object.Body as Readable, res);
  } catch (err) {
    if (!res.headersSent) answerText(res, (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 500, `${(err as Error).name}\n`);
    else res.destroy();
  }
});
server.listen(Number(env('S3_STREAM_PORT')), '127.0.0.1');
