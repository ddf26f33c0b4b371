import { GatewayError } from '../../errors/index.js';
import type { AwsCredentials, CredentialSource } from './sigv4.js';
import type { Clock } from './types.js';

export interface RefreshingCredentialsOptions {
  /** Refresh this long before expiry, ms. */
  refreshBeforeMs: number;
  /** Random extra lead 0..this, ms. */
  jitterMs: number;
  /** How long a failed fetch is replayed to callers before the source is asked again, ms. */
  failureBackoffMs: number;
  clock?: Clock;
  random?: () => number;
  /** Turns a failure of the source into the error callers see. */
  mapError: (error: unknown) => GatewayError;
}

/**
 * Memoises a credential source that hands out expiring credentials (STS AssumeRole, web identity,
 * Pod Identity): one cached value, every concurrent caller shares one in-flight fetch, and a timer
 * refreshes in the background ahead of expiry so requests never wait for STS once warm. A failed
 * background refresh keeps serving the old credentials while they are still valid.
 */
export class RefreshingCredentials {
  private current: AwsCredentials | undefined;
  private inflight: Promise<AwsCredentials> | undefined;
  private failure: { error: GatewayError; until: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly expiryMarginMs: number;
  /** Number of calls made to the source (observable for tests and metrics). */
  fetches = 0;

  constructor(
    private readonly source: CredentialSource,
    private readonly options: RefreshingCredentialsOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.expiryMarginMs = Math.min(10_000, options.refreshBeforeMs / 2);
  }

  /** The current credentials; fetches (once, shared) when there are none or they are about to expire. */
  get(): Promise<AwsCredentials> {
    const now = this.clock();
    const current = this.current;
    // Usable until shortly before expiry (clock skew, time in flight); the background refresh
    // normally replaces them well before that.
    if (current && (current.expiration === undefined || current.expiration.getTime() - now > this.expiryMarginMs)) {
      return Promise.resolve(current);
    }
    if (this.inflight) return this.inflight;
    if (this.failure && this.failure.until > now) return Promise.reject(this.failure.error);
    return this.refresh();
  }

  /** Forgets the cached credentials (e.g. after Bedrock answered ExpiredTokenException). */
  invalidate(): void {
    this.current = undefined;
    this.failure = undefined;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private refresh(): Promise<AwsCredentials> {
    if (this.inflight) return this.inflight;
    this.fetches++;
    const attempt = this.source().then(
      (credentials) => {
        this.inflight = undefined;
        this.current = credentials;
        this.failure = undefined;
        this.schedule(credentials);
        return credentials;
      },
      (error: unknown) => {
        this.inflight = undefined;
        const mapped = error instanceof GatewayError ? error : this.options.mapError(error);
        this.failure = { error: mapped, until: this.clock() + this.options.failureBackoffMs };
        // Old credentials still valid? Try again in the background soon rather than failing requests.
        if (this.current?.expiration) this.scheduleIn(Math.min(this.options.failureBackoffMs * 2, 60_000));
        throw mapped;
      },
    );
    this.inflight = attempt;
    return attempt;
  }

  private schedule(credentials: AwsCredentials): void {
    if (!credentials.expiration) return;
    const lead = this.options.refreshBeforeMs + this.random() * this.options.jitterMs;
    const remaining = credentials.expiration.getTime() - this.clock();
    // Credentials that arrive with less life than the lead (short sessions, a source that served a
    // cached value) are refreshed at half their remaining life instead of in a tight loop.
    this.scheduleIn(Math.max(remaining - lead, Math.min(5_000, remaining / 2)));
  }

  private scheduleIn(delayMs: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    // Timers beyond 2^31-1 ms fire immediately in Node; credentials never live that long anyway.
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.refresh().catch(() => {
          // Recorded in `failure`; callers see it if the old credentials run out.
        });
      },
      Math.min(delayMs, 2 ** 31 - 1),
    );
    this.timer.unref();
  }
}
