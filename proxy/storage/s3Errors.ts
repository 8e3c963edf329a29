/**
 * What an S3 error means for the store, and how to say it to the person who
 * runs the proxy. The SDK reports S3's own error codes as the error's name
 * ("NoSuchBucket", "InvalidAccessKeyId", …) and network failures by their
 * Node error code ("ECONNREFUSED", …); answers to HEAD requests carry no
 * body, so only their HTTP status tells what happened.
 */

type SdkError = Error & { code?: string; $metadata?: { httpStatusCode?: number }; cause?: unknown };

export function httpStatusOf(err: unknown): number | undefined {
  return (err as SdkError)?.$metadata?.httpStatusCode;
}

/** The key does not exist (GET: NoSuchKey; HEAD: 404 without a body). */
export function isMissingKey(err: unknown): boolean {
  const name = (err as SdkError)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || (httpStatusOf(err) === 404 && name !== 'NoSuchBucket');
}

/** A conditional write lost: the key exists already (If-None-Match: *). */
export function isPreconditionFailed(err: unknown): boolean {
  return (err as SdkError)?.name === 'PreconditionFailed' || httpStatusOf(err) === 412;
}

/** A conditional write ran into a concurrent one; S3 asks to try again (then one of them gets 412). */
export function isConditionalConflict(err: unknown): boolean {
  return (err as SdkError)?.name === 'ConditionalRequestConflict' || httpStatusOf(err) === 409;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

function networkCode(err: unknown): string | undefined {
  for (let current = err as SdkError | undefined, depth = 0; current && depth < 5; current = current.cause as SdkError | undefined, depth++) {
    if (current.code && NETWORK_CODES.has(current.code)) return current.code;
    if (current.name === 'TimeoutError') return 'timeout';
  }
  return undefined;
}

export type BucketDescription = { bucket: string; endpoint: string };

/** One line saying why the bucket cannot be used and what to change, for open(). */
export function explainOpenFailure(err: unknown, where: BucketDescription): string {
  const { bucket, endpoint } = where;
  const name = (err as SdkError)?.name ?? 'Error';
  const network = networkCode(err);
  if (network) {
    return `S3 endpoint ${endpoint} cannot be reached (${network}); check storage.endpoint (GOMODPROXY_STORAGE_ENDPOINT) and that the server is running`;
  }
  if (name === 'NoSuchBucket' || (httpStatusOf(err) === 404 && !isMissingKey(err))) {
    return `S3 bucket "${bucket}" does not exist at ${endpoint}; create it, or fix storage.bucket (GOMODPROXY_STORAGE_BUCKET)`;
  }
  if (name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || name === 'InvalidToken' || name === 'ExpiredToken') {
    return `S3 at ${endpoint} refused the credentials (${name}); check storage.credentials or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY`;
  }
  if (name === 'AccessDenied' || httpStatusOf(err) === 403) {
    return `S3 at ${endpoint} denied access to bucket "${bucket}" (${name}); the credentials need s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on it`;
  }
  if (name === 'CredentialsProviderError') {
    return `no S3 credentials found (${(err as Error).message}); set storage.credentials or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`;
  }
  return `S3 bucket "${bucket}" at ${endpoint} cannot be used: ${name}: ${(err as Error)?.message}`;
}

/** A failed S3 request as an Error that names the request, the key and S3's reason. */
export function storageFailure(operation: string, key: string, err: unknown): Error {
  const name = (err as SdkError)?.name ?? 'Error';
  const status = httpStatusOf(err);
  return new Error(`S3 ${operation} of ${key} failed: ${name}${status ? ` (HTTP ${status})` : ''}: ${(err as Error)?.message}`, { cause: err });
}
