/**
 * Every tunable of the upstream client, with its unit and default, in one place. docs/configuration.md
 * ("Upstream") documents the same table; keep the two in step.
 */
export interface UpstreamOptions {
  /** Attempts per call, the first included. 1 disables retries. */
  maxAttempts: number;
  /** Full-jitter backoff: attempt n waits a random time in [0, min(cap, base × 2^(n-1))] ms. */
  retryBaseMs: number;
  /** Upper bound of one backoff wait, ms. */
  retryCapMs: number;
  /** A `Retry-After` longer than this (ms) is not waited out: the error goes to the caller with its hint. */
  maxRetryAfterMs: number;
  /**
   * Per attempt, ms: for `send` until the whole response body arrived; for `stream` until the 200
   * response and its first event arrived (a stream then lives under {@link UpstreamOptions.streamIdleTimeoutMs}).
   */
  attemptTimeoutMs: number;
  /** All attempts and backoff waits of one call together, ms (for `stream`: until the headers). */
  deadlineMs: number;
  /** Longest silence between two chunks of a streaming response, ms (undici `bodyTimeout`). */
  streamIdleTimeoutMs: number;
  /** TCP + TLS connect timeout, ms. */
  connectTimeoutMs: number;
  /**
   * Connections per upstream origin (undici pool size). HTTP/1.1 without pipelining carries one call per
   * connection, and a stream holds its connection until it ends, so this is also the most concurrent
   * calls (streams included) one origin can have; calls past it wait in the pool's queue.
   */
  connections: number;
  /** How long an idle keep-alive connection is kept, ms (capped by the server's keep-alive hint). */
  keepAliveTimeoutMs: number;
  /** Largest non-streaming response body buffered, bytes (images and embeddings batches are big). */
  maxResponseBytes: number;
  /** Largest single event-stream message, bytes: botocore's 24 MiB payload + 128 KiB headers limits (§5). */
  maxEventBytes: number;
  /** Temporary credentials are refreshed this long before they expire, ms (background, not per request). */
  credentialRefreshBeforeMs: number;
  /** Random extra lead (0..this ms) on each background refresh so many replicas do not call STS in step. */
  credentialRefreshJitterMs: number;
  /** After a failed credential refresh, callers get the cached failure for this long before STS is asked again, ms. */
  credentialFailureBackoffMs: number;
}

/** Defaults of {@link UpstreamOptions}. */
export const UPSTREAM_DEFAULTS: Readonly<UpstreamOptions> = Object.freeze({
  maxAttempts: 3,
  retryBaseMs: 100,
  retryCapMs: 5_000,
  maxRetryAfterMs: 20_000,
  // Long generations through non-streaming Converse can take minutes (botocore users raise its 60 s
  // read timeout for Claude); a shorter default would cut off legitimate answers.
  attemptTimeoutMs: 300_000,
  deadlineMs: 600_000,
  streamIdleTimeoutMs: 300_000,
  connectTimeoutMs: 10_000,
  // One process must hold ≥ 1,000 concurrent streams to one region (DESIGN.md, Performance), each on its
  // own connection; a smaller cap makes the streams past it wait silently for a free connection.
  connections: 4096,
  keepAliveTimeoutMs: 60_000,
  maxResponseBytes: 64 * 1024 * 1024,
  maxEventBytes: 24 * 1024 * 1024 + 128 * 1024 + 16,
  // The SDK default chain treats credentials as expired 5 minutes before their expiry; same here.
  credentialRefreshBeforeMs: 300_000,
  credentialRefreshJitterMs: 60_000,
  credentialFailureBackoffMs: 5_000,
});

/** Resolves partial options against the defaults. */
export function resolveUpstreamOptions(options: Partial<UpstreamOptions> = {}): UpstreamOptions {
  const resolved: UpstreamOptions = { ...UPSTREAM_DEFAULTS };
  for (const key of Object.keys(options) as (keyof UpstreamOptions)[]) {
    const value = options[key];
    if (value !== undefined) resolved[key] = value;
  }
  return resolved;
}
