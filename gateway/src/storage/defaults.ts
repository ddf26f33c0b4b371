/**
 * Every tunable of the S3 storage layer (Files API, batch inputs and outputs), with its unit and default.
 * docs/configuration.md ("Files and storage") documents the same table; keep the two in step.
 */
export interface StorageOptions {
  /**
   * Size of one multipart-upload part, bytes (S3's minimum is 5 MiB). A streamed upload holds at most
   * `uploadQueueSize + 1` parts in memory, so this bounds what one upload may cost.
   */
  uploadPartBytes: number;
  /** Parts of one streamed upload sent to S3 concurrently. */
  uploadQueueSize: number;
  /** Attempts per S3 call, the first included (the SDK retries throttling, 5xx and network errors). */
  s3MaxAttempts: number;
  /** TCP connect timeout to S3, ms. */
  s3ConnectTimeoutMs: number;
  /** Longest silence on an S3 socket (request or response), ms. */
  s3SocketTimeoutMs: number;
  /** Connections per S3 endpoint (keep-alive pool size). */
  s3Connections: number;
}

/** Defaults of {@link StorageOptions}. */
export const STORAGE_DEFAULTS: Readonly<StorageOptions> = Object.freeze({
  // S3's minimum part size and one part in flight: measured (docs/benchmarks.md, Files upload) to keep a
  // 200 MB upload's RSS growth near 55 MiB; larger parts or a deeper queue cost more memory than they gain
  // in speed, because part buffers are freed only when V8 collects them.
  uploadPartBytes: 5 * 1024 * 1024,
  uploadQueueSize: 1,
  s3MaxAttempts: 3,
  s3ConnectTimeoutMs: 10_000,
  s3SocketTimeoutMs: 120_000,
  s3Connections: 64,
});

/** Resolves partial options against the defaults. */
export function resolveStorageOptions(options: Partial<StorageOptions> = {}): StorageOptions {
  const resolved: StorageOptions = { ...STORAGE_DEFAULTS };
  for (const key of Object.keys(options) as (keyof StorageOptions)[]) {
    const value = options[key];
    if (value !== undefined) resolved[key] = value;
  }
  // S3 refuses parts below 5 MiB (other than the last).
  resolved.uploadPartBytes = Math.max(resolved.uploadPartBytes, 5 * 1024 * 1024);
  resolved.uploadQueueSize = Math.max(1, Math.floor(resolved.uploadQueueSize));
  return resolved;
}
