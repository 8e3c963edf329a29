/**
 * Storage in an S3-compatible bucket, with the disk store's key layout under
 * an optional prefix, so several proxies can share one bucket and a copy of
 * the prefix works as GOPROXY=file://.
 *
 * The rules it keeps:
 * - Every write is atomic: S3 makes an object visible only when its PUT, or
 *   the completion of its multipart upload, succeeds. A writer killed half-way
 *   leaves an incomplete multipart upload that no reader sees; open() aborts
 *   such leftovers of earlier runs.
 * - Immutable keys are written with If-None-Match: * on the PUT and on
 *   CompleteMultipartUpload, so the first complete upload wins, later ones
 *   get 412 and nothing is ever overwritten, however many replicas race.
 * - Large files are uploaded in parts read straight from the staged local
 *   file, and read back as a stream: a 500 MiB zip never sits in memory.
 * - open() makes one request that needs the bucket and the credentials, so a
 *   missing bucket, refused credentials or an unreachable endpoint stop
 *   start-up with a line saying what to fix.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { explainOpenFailure, isConditionalConflict, isMissingKey, isPreconditionFailed, storageFailure } from './s3Errors.ts';
import { storageWriteFailure } from '../errors.ts';
import { StagingArea } from './staging.ts';
import { checkStorageKey, type ByteRange, type ListedKey, type OpenedObject, type Storage, type StoredObject } from './storage.ts';

export type S3StorageOptions = {
  bucket: string;
  /** Prepended to every key: "" or a path ending in "/", e.g. "gomodproxy/". */
  prefix: string;
  /** http(s) URL of an S3-compatible server; without it, AWS S3 in `region`. */
  endpoint?: string;
  region: string;
  /** Bucket in the path (http://host/bucket/key) instead of the host name; most S3-compatible servers need it. */
  forcePathStyle: boolean;
  /** Without them, the AWS SDK's own chain: AWS_ACCESS_KEY_ID…, profiles, web identity, instance roles. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Local folder where zips are downloaded and checked before they are uploaded. */
  stagingPath: string;
  /** Files larger than this are uploaded in parts of this size (at least 5 MiB, S3's minimum part). */
  partSize?: number;
};

const DEFAULT_PART_SIZE = 16 << 20;
/** Parts of one file uploaded at once. */
const PARTS_IN_FLIGHT = 4;
/** A conditional write that meets a concurrent one is tried again this often before giving up. */
const CONFLICT_RETRIES = 3;
/** Multipart uploads older than this are leftovers of a crash or a killed writer. */
const STALE_UPLOAD_MS = 60 * 60 * 1000;
/** HEAD requests fillStored makes at once (only for objects a listing gave no size). */
const HEADS_AT_ONCE = 16;
/** How often one read is taken up again after its connection broke. */
const READ_RESUMES = 3;
/** Concurrent connections to S3: every client streaming a zip holds one. */
const MAX_SOCKETS = 256;

export class S3Storage implements Storage {
  readonly description: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly endpoint: string;
  private readonly stagingPath: string;
  private readonly partSize: number;
  private readonly staging: StagingArea;

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.endpoint = options.endpoint ?? `AWS S3 (${options.region})`;
    this.stagingPath = path.resolve(options.stagingPath);
    this.staging = new StagingArea(this.stagingPath);
    this.partSize = Math.max(5 << 20, options.partSize ?? DEFAULT_PART_SIZE);
    this.description = `s3 ${options.endpoint ? `${options.endpoint} ` : ''}bucket ${this.bucket}${this.prefix ? ` prefix ${this.prefix}` : ''}`;
    this.client = new S3Client({
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      // Bodies are read as the responses themselves, which quietBody can guard; what is stored was
      // checked (zips by their h1 hash) before it was uploaded, and the upload was checksummed.
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      requestHandler: {
        httpAgent: new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
        httpsAgent: new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
        connectionTimeout: 10_000,
      },
    });
  }

  async open(): Promise<void> {
    try {
      // Needs the bucket, valid credentials and the list permission, and says which is missing.
      await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, MaxKeys: 1 }));
    } catch (err) {
      throw new Error(explainOpenFailure(err, { bucket: this.bucket, endpoint: this.endpoint }), { cause: err });
    }
    try {
      await fs.mkdir(this.stagingPath, { recursive: true });
      await fs.access(this.stagingPath, fs.constants.R_OK | fs.constants.W_OK);
    } catch (err) {
      throw new Error(`staging folder ${this.stagingPath} cannot be used: ${(err as NodeJS.ErrnoException).code ?? err}; create it or make it writable, or set storage.stagingPath`);
    }
    await this.staging.open();
    await this.abortStaleUploads();
  }

  /** The bucket's key for a store key. */
  private objectKey(key: string): string {
    checkStorageKey(key);
    return this.prefix + key;
  }

  async stat(key: string): Promise<StoredObject | null> {
    const objectKey = this.objectKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return { size: head.ContentLength ?? 0, modified: head.LastModified ?? new Date(0) };
    } catch (err) {
      if (isMissingKey(err)) return null;
      throw storageFailure('HEAD', objectKey, err);
    }
  }

  async read(key: string): Promise<OpenedObject | null> {
    const objectKey = this.objectKey(key);
    let answer;
    try {
      answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (err) {
      if (isMissingKey(err)) return null;
      throw storageFailure('GET', objectKey, err);
    }
    // The response already streams the whole object, so it stays readable if the key is deleted meanwhile.
    const body = quietBody(answer.Body as Readable);
    const etag = answer.ETag;
    const size = answer.ContentLength ?? 0;
    let used = false;
    const use = (): void => {
      if (used) throw new Error(`S3 object ${objectKey} was already streamed or closed`);
      used = true;
    };
    return {
      size,
      modified: answer.LastModified ?? new Date(0),
      stream: (range?: ByteRange) => {
        use();
        if (!range) return this.objectStream(objectKey, { start: 0, end: size - 1 }, etag, body);
        body.destroy();
        return this.objectStream(objectKey, range, etag);
      },
      close: async () => {
        use();
        body.destroy();
      },
    };
  }

  /**
   * The bytes of `range` of an object, as a stream: from `first` (a response
   * already under way) or from a ranged GET. When a connection breaks, the
   * stream goes on from the byte it reached with another ranged GET, a few
   * times. Every ranged GET carries If-Match with the ETag of the object first
   * opened, so the bytes all come from that one object or the stream fails.
   */
  private objectStream(objectKey: string, range: ByteRange, etag: string | undefined, first?: Readable): Readable {
    const length = Math.max(0, range.end - range.start + 1);
    const getFrom = async (start: number): Promise<Readable> => {
      try {
        const answer = await this.client.send(
          new GetObjectCommand({ Bucket: this.bucket, Key: objectKey, Range: `bytes=${start}-${range.end}`, ...(etag ? { IfMatch: etag } : {}) }),
        );
        return quietBody(answer.Body as Readable);
      } catch (err) {
        throw storageFailure('ranged GET', objectKey, err);
      }
    };
    async function* bytes(): AsyncGenerator<Buffer> {
      let received = 0;
      let breaks = 0;
      let pending = first;
      if (length === 0) pending?.destroy();
      while (received < length) {
        const current = pending ?? (await getFrom(range.start + received));
        pending = undefined;
        try {
          for await (const chunk of current as AsyncIterable<Buffer>) {
            received += chunk.length;
            yield chunk;
          }
          if (received < length) throw new Error(`the response ended after ${received} of ${length} bytes`);
        } catch (err) {
          current.destroy();
          if (!etag || ++breaks > READ_RESUMES) throw storageFailure('GET', objectKey, err);
        }
      }
    }
    return Readable.from(bytes(), { objectMode: false });
  }

  async readBytes(key: string): Promise<Buffer | null> {
    const objectKey = this.objectKey(key);
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return Buffer.from(await answer.Body!.transformToByteArray());
    } catch (err) {
      if (isMissingKey(err)) return null;
      throw storageFailure('GET', objectKey, err);
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const objectKey = this.objectKey(key);
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: objectKey, Body: data, ContentLength: data.byteLength }));
    } catch (err) {
      throw storageFailure('PUT', objectKey, err);
    }
  }

  async putImmutable(key: string, data: Uint8Array | { file: string }): Promise<boolean> {
    const objectKey = this.objectKey(key);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          if (data instanceof Uint8Array) {
            await this.client.send(
              new PutObjectCommand({ Bucket: this.bucket, Key: objectKey, Body: data, ContentLength: data.byteLength, IfNoneMatch: '*' }),
            );
            return true;
          }
          return await this.uploadFileOnce(objectKey, data.file);
        } catch (err) {
          if (isPreconditionFailed(err)) return false;
          if (!isConditionalConflict(err) || attempt >= CONFLICT_RETRIES) throw storageFailure('conditional PUT', objectKey, err);
          // A concurrent write of the same key: whoever completed first has won; otherwise try again.
          if (await this.exists(objectKey)) return false;
        }
      }
    } finally {
      if (!(data instanceof Uint8Array)) await fs.rm(data.file, { force: true });
    }
  }

  /** Uploads a local file unless the key exists (false): one PUT, or parts for a large file. */
  private async uploadFileOnce(objectKey: string, file: string): Promise<boolean> {
    const { size } = await fs.stat(file);
    if (size <= this.partSize) {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: objectKey, Body: createReadStream(file), ContentLength: size, IfNoneMatch: '*' }),
      );
      return true;
    }
    // Uploading hundreds of MiB only to lose the race at the end is waste: look first.
    if (await this.exists(objectKey)) return false;
    const { UploadId: uploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey }));
    try {
      const parts = await this.uploadParts(objectKey, uploadId!, file, size);
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId, MultipartUpload: { Parts: parts }, IfNoneMatch: '*' }),
      );
      return true;
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId })).catch(() => {});
      throw err;
    }
  }

  private async exists(objectKey: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return true;
    } catch (err) {
      if (isMissingKey(err)) return false;
      throw err;
    }
  }

  /** Each part is read from the file as a stream while it is sent, a few parts at a time. */
  private async uploadParts(objectKey: string, uploadId: string, file: string, size: number): Promise<CompletedPart[]> {
    const count = Math.ceil(size / this.partSize);
    const parts: CompletedPart[] = new Array(count);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const index = next++;
        const start = index * this.partSize;
        const end = Math.min(size, start + this.partSize) - 1;
        const answer = await this.client.send(
          new UploadPartCommand({
            Bucket: this.bucket,
            Key: objectKey,
            UploadId: uploadId,
            PartNumber: index + 1,
            Body: createReadStream(file, { start, end }),
            ContentLength: end - start + 1,
          }),
        );
        parts[index] = { PartNumber: index + 1, ETag: answer.ETag, ...(answer.ChecksumCRC32 ? { ChecksumCRC32: answer.ChecksumCRC32 } : {}) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARTS_IN_FLIGHT, count) }, worker));
    return parts;
  }

  async stagingFile(hint: string): Promise<string> {
    try {
      return await this.staging.file(hint);
    } catch (err) {
      throw storageWriteFailure(err, 'making a staging file');
    }
  }

  /** The local staging folder is what a full disk stops; the bucket is asked on every request anyway. */
  checkWritable(): Promise<void> {
    return this.staging.checkWritable();
  }

  async list(prefix: string): Promise<string[]> {
    if (!prefix.endsWith('/')) throw new Error(`storage list prefix must end in "/": ${prefix}`);
    const objectPrefix = `${this.objectKey(prefix.slice(0, -1))}/`;
    const names: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: objectPrefix, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) }),
        );
        for (const object of page.Contents ?? []) {
          if (object.Key) names.push(object.Key.slice(objectPrefix.length));
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw storageFailure('LIST', objectPrefix, err);
    }
    return names;
  }

  async *keysUnder(prefix: string): AsyncIterable<string> {
    for await (const batch of this.listUnder(prefix)) for (const { key } of batch) yield key;
  }

  /**
   * One batch per page of the listing, which gives each object's size and time: no HEAD per key,
   * `stored` or not.
   */
  async *listUnder(prefix: string, options: { stored?: boolean } = {}): AsyncIterable<ListedKey[]> {
    if (prefix !== '' && !prefix.endsWith('/')) throw new Error(`storage keysUnder prefix must end in "/": ${prefix}`);
    const root = this.prefix;
    const objectPrefix = prefix === '' ? root : `${this.objectKey(prefix.slice(0, -1))}/`;
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: objectPrefix, ...(token ? { ContinuationToken: token } : {}) }),
        );
      } catch (err) {
        throw storageFailure('LIST', objectPrefix, err);
      }
      const batch: ListedKey[] = [];
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(root.length);
        // Keys of the layout only: not this store's own working objects.
        if (!key || key.split('/').some((element) => element.startsWith('.'))) continue;
        batch.push(object.Size !== undefined && object.LastModified ? { key, stored: { size: object.Size, modifiedMs: object.LastModified.getTime() } } : { key });
      }
      if (options.stored) await this.fillStored(batch);
      const listed = options.stored ? batch.filter((l) => l.stored !== undefined) : batch;
      if (listed.length > 0) yield listed;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** A listing gives every size and time; what lacks them is asked by HEAD, HEADS_AT_ONCE at a time. */
  async fillStored(listed: ListedKey[]): Promise<void> {
    const missing = listed.filter((l) => l.stored === undefined);
    for (let start = 0; start < missing.length; start += HEADS_AT_ONCE) {
      await Promise.all(
        missing.slice(start, start + HEADS_AT_ONCE).map(async (entry) => {
          const stored = await this.stat(entry.key);
          if (stored) entry.stored = { size: stored.size, modifiedMs: stored.modified.getTime() };
        }),
      );
    }
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (err) {
      if (!isMissingKey(err)) throw storageFailure('DELETE', objectKey, err);
    }
  }

  /**
   * Incomplete multipart uploads under the prefix, left by writers that were
   * killed, cost storage but are never visible. Those older than any upload
   * takes are aborted. Where they cannot be listed by prefix (MinIO lists
   * them by whole key only, and expires them itself after a day) or without
   * the permission to list them, they are left to the server's own expiry or
   * the bucket's lifecycle rules (AbortIncompleteMultipartUpload).
   */
  private async abortStaleUploads(): Promise<void> {
    let listing;
    try {
      listing = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.prefix }));
    } catch {
      return;
    }
    const now = Date.now();
    for (const upload of listing.Uploads ?? []) {
      if (!upload.Key || !upload.UploadId || !upload.Initiated || now - upload.Initiated.getTime() <= STALE_UPLOAD_MS) continue;
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId })).catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/**
 * A response body whose connection breaks emits 'error' whenever that happens: before it is
 * read, or after a reader gave it up. Neither may end the process; a reader still meets the
 * error when it reads (and takes the read up again from there).
 */
function quietBody(body: Readable): Readable {
  body.on('error', () => {});
  return body;
}
