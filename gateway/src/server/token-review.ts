/**
 * In-cluster callers authenticated with their projected service-account token (DESIGN.md, API keys):
 * a bearer token that is not a known api key but looks like a JWT is sent to the API server as a
 * `TokenReview` (authentication.k8s.io/v1), which checks signature, expiry, audience and — for
 * bound tokens — that the pod and service account still exist. Kubernetes itself is the only
 * verifier, so the gateway needs no issuer keys or OIDC discovery.
 *
 * A review is one API-server round trip on the request path, so results are cached for a short time
 * (as kube-apiserver's own webhook token authenticator does), keyed by a keyed hash of the token:
 * the cache never holds a token, and a memory dump cannot even be checked against a known token
 * without the per-process key. Concurrent requests with the same uncached token share one review.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { KubernetesIdentity } from '../config/index.js';
import { GatewayError } from '../errors/index.js';
import type { IdentityReviewer } from './context.js';

/** Every option of the token reviewer with its unit and default (docs/configuration.md, Service-account callers). */
export interface TokenReviewOptions {
  /**
   * Audiences the token must be issued for (`spec.audiences`). Empty = the API server's own audiences,
   * which accepts the default projected token but lets whoever receives it also call the API server as
   * the caller; a dedicated audience (e.g. `aigateway`) in the caller's projected token avoids that.
   */
  audiences: readonly string[];
  /** How long an accepted token's identity is reused, ms (never past the token's own `exp`). */
  cacheTtlMs: number;
  /** How long a refused token stays refused without asking again, ms. */
  negativeCacheTtlMs: number;
  /** Most accepted tokens remembered (least recently used go first). */
  maxCacheEntries: number;
  /**
   * Most refused tokens remembered. Kept apart from accepted ones so a flood of made-up tokens cannot
   * push valid callers out of the cache and onto the API server.
   */
  maxNegativeCacheEntries: number;
  /** Deadline of one TokenReview call, ms; past it the caller gets 503 rather than waiting. */
  timeoutMs: number;
}

export const TOKEN_REVIEW_DEFAULTS: Readonly<TokenReviewOptions> = Object.freeze({
  audiences: Object.freeze([]) as readonly string[],
  cacheTtlMs: 60_000,
  negativeCacheTtlMs: 10_000,
  maxCacheEntries: 10_000,
  maxNegativeCacheEntries: 1_000,
  timeoutMs: 5_000,
});

/**
 * The one API call the reviewer makes. The operator's `KubeClient` satisfies it (one keep-alive undici
 * pool, TLS and rotating credentials from the kubeconfig); tests may pass anything shaped like it.
 */
export interface TokenReviewTransport {
  request<T>(
    method: 'POST',
    path: string,
    options: { body: unknown; timeoutMs?: number; signal?: AbortSignal },
  ): Promise<T>;
}

/** The TokenReview API path (authentication.k8s.io/v1, cluster-scoped, create only). */
export const TOKEN_REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';

/** The parts of a TokenReview answer the gateway reads. */
interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[] };
  audiences?: string[];
  error?: string;
}

interface CacheEntry {
  readonly identity: KubernetesIdentity | undefined;
  readonly expiresAt: number;
}

/**
 * An {@link IdentityReviewer} backed by Kubernetes TokenReview.
 *
 * `review` resolves to the identity for an accepted token and to undefined for a refused one; it
 * rejects with a `GatewayError` (`upstream_unavailable`, 503) when the API server cannot be asked or
 * refuses the gateway itself (e.g. RBAC without `create` on `tokenreviews`), so an outage never looks
 * like a wrong key to the caller.
 */
export class TokenReviewer implements IdentityReviewer {
  readonly options: Readonly<TokenReviewOptions>;
  private readonly transport: TokenReviewTransport;
  private readonly now: () => number;
  private readonly hashKey = randomBytes(32);
  private readonly accepted = new Map<string, CacheEntry>();
  private readonly refused = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<KubernetesIdentity | undefined>>();
  private readonly onClose: (() => Promise<void>) | undefined;

  constructor(
    transport: TokenReviewTransport,
    options: Partial<TokenReviewOptions> & { now?: () => number; onClose?: () => Promise<void> } = {},
  ) {
    const { now, onClose, ...rest } = options;
    this.transport = transport;
    this.now = now ?? Date.now;
    this.onClose = onClose;
    const merged = { ...TOKEN_REVIEW_DEFAULTS, ...stripUndefined(rest) };
    this.options = Object.freeze({ ...merged, audiences: Object.freeze([...merged.audiences]) });
  }

  /** Number of cached results (accepted + refused); for tests and diagnostics. */
  get cacheSize(): number {
    return this.accepted.size + this.refused.size;
  }

  async review(token: string): Promise<KubernetesIdentity | undefined> {
    const key = createHmac('sha256', this.hashKey).update(token, 'utf8').digest('base64url');
    const now = this.now();
    const cached = this.lookup(this.accepted, key, now) ?? this.lookup(this.refused, key, now);
    if (cached) return cached.identity;
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const review = this.ask(token).then(
      (identity) => {
        this.inflight.delete(key);
        this.remember(key, identity, token);
        return identity;
      },
      (err: unknown) => {
        // Failures are not cached: the next request asks again.
        this.inflight.delete(key);
        throw err;
      },
    );
    this.inflight.set(key, review);
    return review;
  }

  /**
   * Sends one TokenReview for a token that cannot be valid, to find out at startup whether the API
   * server is reachable and lets the gateway review tokens at all (RBAC). Resolves to undefined when it
   * does, else to why not; never throws.
   */
  async probe(): Promise<string | undefined> {
    try {
      await this.ask('aigw-startup-probe');
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** Forgets every cached result. */
  clear(): void {
    this.accepted.clear();
    this.refused.clear();
  }

  /** Releases the API connection pool (when the reviewer owns it). */
  async close(): Promise<void> {
    this.clear();
    await this.onClose?.();
  }

  private lookup(map: Map<string, CacheEntry>, key: string, now: number): CacheEntry | undefined {
    const entry = map.get(key);
    if (!entry) return undefined;
    map.delete(key);
    if (entry.expiresAt <= now) return undefined;
    // Re-inserted so Map order is least-recently-used first.
    map.set(key, entry);
    return entry;
  }

  private remember(key: string, identity: KubernetesIdentity | undefined, token: string): void {
    const now = this.now();
    const map = identity ? this.accepted : this.refused;
    const max = identity ? this.options.maxCacheEntries : this.options.maxNegativeCacheEntries;
    let expiresAt = now + (identity ? this.options.cacheTtlMs : this.options.negativeCacheTtlMs);
    // An accepted token is never trusted past its own expiry, whatever the TTL.
    const exp = identity ? jwtExpiry(token) : undefined;
    if (exp !== undefined) expiresAt = Math.min(expiresAt, exp);
    if (expiresAt <= now || max <= 0) return;
    map.delete(key);
    map.set(key, { identity, expiresAt });
    while (map.size > max) {
      const oldest = map.keys().next();
      if (oldest.done) break;
      map.delete(oldest.value);
    }
  }

  private async ask(token: string): Promise<KubernetesIdentity | undefined> {
    const spec: { token: string; audiences?: string[] } = { token };
    if (this.options.audiences.length > 0) spec.audiences = [...this.options.audiences];
    let answer: { status?: TokenReviewStatus };
    try {
      answer = await this.transport.request<{ status?: TokenReviewStatus }>('POST', TOKEN_REVIEW_PATH, {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec },
        timeoutMs: this.options.timeoutMs,
      });
    } catch (err) {
      throw tokenReviewUnavailable(err);
    }
    const status = answer.status ?? {};
    if (status.authenticated !== true) return undefined;
    const username = status.user?.username;
    if (typeof username !== 'string' || username === '') return undefined;
    // The API server reports which of the requested audiences the token carries; the Kubernetes API
    // reference asks clients to check this rather than trust `authenticated` alone.
    if (this.options.audiences.length > 0) {
      const granted = status.audiences ?? [];
      if (!granted.some((a) => this.options.audiences.includes(a))) return undefined;
    }
    const groups = Array.isArray(status.user?.groups)
      ? status.user.groups.filter((g): g is string => typeof g === 'string' && g !== '')
      : [];
    return Object.freeze({ username, groups: Object.freeze(groups) });
  }
}

/**
 * A {@link TokenReviewer} that reviews through the API server of a kubeconfig: the file `kubeconfig`
 * when given, else `KUBECONFIG`, else the pod's own service account (in cluster), else
 * `~/.kube/config`. The gateway's identity there needs `create` on `tokenreviews` (the chart's
 * `<release>-gateway-token-review` ClusterRole).
 *
 * @throws Error when no cluster can be found (not in a pod, no kubeconfig).
 */
export async function createTokenReviewer(
  options: Partial<TokenReviewOptions> & { kubeconfig?: string } = {},
): Promise<TokenReviewer> {
  const { kubeconfig, ...reviewOptions } = options;
  // Loaded here, not at module load: the gateway pays for client-node only when reviews are on.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { KubeClient } = await import('../../../operator/src/kube/index.js');
  const kc = new KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else if (process.env.KUBECONFIG) kc.loadFromDefault();
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else {
    // loadFromDefault would silently fall back to http://localhost:8080 when there is no config at all.
    const { existsSync } = await import('node:fs');
    const { homedir } = await import('node:os');
    const { join } = await import('node:path');
    if (!existsSync(join(homedir(), '.kube', 'config'))) {
      throw new Error(
        'token review needs a Kubernetes API server: run in a pod (with a service-account token mounted) or set KUBECONFIG',
      );
    }
    kc.loadFromDefault();
  }
  const client = await KubeClient.fromKubeConfig(kc);
  return new TokenReviewer(client, { ...reviewOptions, onClose: () => client.close() });
}

/**
 * The `exp` claim of a JWT, epoch ms, read without verifying anything (TokenReview verified it); only
 * used to shorten how long an accepted token is cached.
 */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function tokenReviewUnavailable(err: unknown): GatewayError {
  // KubeApiError carries the API server's status and message (e.g. 403 when the gateway's RBAC lacks
  // `create` on tokenreviews); undici errors carry a code (ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT).
  const e = err as { status?: unknown; code?: unknown; name?: unknown; message?: unknown };
  const detail =
    typeof e.status === 'number' && e.status > 0
      ? `the API server answered ${e.status}: ${String(e.message ?? '')}`
      : e.name === 'TimeoutError' || e.name === 'AbortError'
        ? 'the API server did not answer in time'
        : `the API server could not be reached (${String(e.code ?? e.message ?? 'unknown error')})`;
  return new GatewayError(
    'upstream_unavailable',
    `Kubernetes TokenReview failed: ${detail.slice(0, 500)}. Service-account tokens cannot be verified; retry shortly.`,
    { cause: err },
  );
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
