/**
 * S3 failures as gateway errors. The caller learns which account's storage failed and S3's error code;
 * S3's own message (which can name buckets, principals and policies) goes to the log through `detail`.
 */
import { GatewayError, redactSecrets } from '../errors/index.js';

// S3 error codes that mean the gateway's credentials or the bucket policy refuse the call: a
// configuration problem for the account's Managers, not something a retry fixes.
const DENIED = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AccountProblem',
]);

/** A failed S3 call: caller-safe message plus S3's full (redacted) answer for the logs. */
export class StorageError extends GatewayError {
  constructor(
    code: 'upstream_access_denied' | 'upstream_error' | 'upstream_unavailable' | 'upstream_timeout' | 'invalid_request',
    message: string,
    readonly detail: string,
    cause: unknown,
  ) {
    super(code, message, { cause });
  }
}

/** S3's error name (`NoSuchKey`, `AccessDenied`, …) of an SDK error, if it has one. */
export function s3ErrorName(error: unknown): string {
  return typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
}

/** The HTTP status S3 answered with, if the error came from a response. */
export function s3ErrorStatus(error: unknown): number | undefined {
  const meta = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata;
  return typeof meta?.httpStatusCode === 'number' ? meta.httpStatusCode : undefined;
}

/**
 * Maps an error of an S3 call to a GatewayError. GatewayErrors (e.g. credential failures, already
 * caller-safe) pass through; aborts by the caller are rethrown as they are.
 *
 * @param what what the gateway was doing, e.g. `Writing the file to the storage of account demo`
 */
export function s3Error(error: unknown, what: string): GatewayError {
  if (error instanceof GatewayError) return error;
  const name = s3ErrorName(error);
  const status = s3ErrorStatus(error);
  const raw = error instanceof Error ? error.message : String(error);
  const detail = `${what}: ${name || 'Error'} ${status ?? ''} ${redactSecrets(raw)}`.trim();
  const code = name && name !== 'Error' && name !== 'UnknownError' ? ` (${name})` : '';
  if (DENIED.has(name) || status === 403)
    return new StorageError('upstream_access_denied', `${what} was denied by S3${code}.`, detail, error);
  if (name === 'NoSuchBucket')
    return new StorageError(
      'upstream_error',
      `${what} failed: the account's batch.s3Bucket does not exist (NoSuchBucket).`,
      detail,
      error,
    );
  if (name === 'TimeoutError' || name === 'RequestTimeout' || name === 'RequestTimeTooSkewed')
    return new StorageError('upstream_timeout', `${what} timed out${code}.`, detail, error);
  if (name === 'SlowDown' || status === 503 || isNetworkError(error))
    return new StorageError('upstream_unavailable', `${what} failed: S3 is unavailable${code}.`, detail, error);
  return new StorageError('upstream_error', `${what} failed${code}.`, detail, error);
}

function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EPIPE|ETIMEDOUT)$/.test(code);
}
