/**
 * Enforces UsagePolicies on the request path (docs/resources.md, UsagePolicy; exact semantics there):
 * match policies to (caller, model) once per snapshot, reserve before the upstream call in one atomic
 * store operation, settle with the real usage after.
 */
import { randomBytes } from 'node:crypto';
import type { Caller, ServedModel, Snapshot } from '../config/index.js';
import type { CompiledModel, CompiledUsagePolicy, UsagePolicyLimitStatus } from '../config/types.js';
import { GatewayError } from '../errors/index.js';
import { costFor, type ImageSpec, type ModelPrice, priceFor } from '../models/index.js';
import { type AheadOptions, AheadReservations } from './ahead.js';
import type { CounterAdjustment, CounterCheck, UsageStore } from './store.js';
import { formatResetDuration, minuteWindow, type Window, WindowCache } from './windows.js';

/** Defaults of the limiter (docs/configuration.md, usage limits). */
export const LIMITS_DEFAULTS = {
  /** Prefix of every store key, so one Redis can serve several gateways. */
  keyPrefix: 'aigw:usage:',
  /** A command to the store not answered within this many ms counts as the store being down. */
  storeTimeoutMs: 500,
  /** At startup, how long the gateway waits for the store before it starts serving anyway, ms. */
  storeConnectWaitMs: 5000,
  /** Longest wait between reconnection attempts, ms. */
  maxReconnectDelayMs: 2000,
  /** Lifetime of an in-flight lease: a replica that dies holding one frees it after this long, ms. */
  leaseMs: 15 * 60_000,
  /** Output tokens reserved for a request that sets no max_tokens (nor the translator a default). */
  defaultOutputTokens: 4096,
  /** Characters per token of the prompt-size estimate. */
  charsPerToken: 4,
  /** Most (caller, model) matches cached per snapshot before the cache starts over. */
  matchCacheEntries: 10_000,
  /** At most one store-failure warning per this many ms. */
  warnEveryMs: 10_000,
} as const;

export type LimitName = 'requestsPerMinute' | 'tokensPerMinute' | 'concurrentRequests' | 'usdPerDay' | 'usdPerMonth';
export type LimitReason =
  | 'requests'
  | 'tokens'
  | 'concurrency'
  | 'daily_budget'
  | 'monthly_budget'
  | 'store_unavailable';

const REASONS: Record<LimitName, LimitReason> = {
  requestsPerMinute: 'requests',
  tokensPerMinute: 'tokens',
  concurrentRequests: 'concurrency',
  usdPerDay: 'daily_budget',
  usdPerMonth: 'monthly_budget',
};
const LIMIT_WORDS: Record<LimitName, string> = {
  requestsPerMinute: 'requests per minute',
  tokensPerMinute: 'tokens per minute',
  concurrentRequests: 'concurrent requests',
  usdPerDay: 'daily budget (USD)',
  usdPerMonth: 'monthly budget (USD)',
};
/** Spend is counted in integer micro-dollars, so store arithmetic stays exact. */
const MICRO = 1_000_000;
/** Counters outlive their window by this much, so a late settlement still finds them. */
const TTL_SLACK_MS = 5 * 60_000;

export interface LimitMetrics {
  limited(policy: string, reason: LimitReason): void;
  storeFailure(operation: 'admit' | 'settle'): void;
  guardrailIntervened(policy: string): void;
}

export interface LimitLogger {
  warn(object: object, message: string): void;
}

export interface UsageLimiterOptions {
  store: UsageStore;
  metrics?: LimitMetrics | undefined;
  logger?: LimitLogger | undefined;
  /** Epoch ms; injectable so windows can be tested without waiting for them. */
  now?: () => number;
  keyPrefix?: string;
  leaseMs?: number;
  defaultOutputTokens?: number;
  /**
   * Reserve one request ahead while counters are at most half used (ahead.ts), so such admissions need
   * no store round trip. Default: on for a store across the network (Redis), off in-process. `false` or
   * options.
   */
  ahead?: boolean | Partial<AheadOptions>;
}

/** What a request is expected to use; the limiter reserves it before the call. */
export interface UsageEstimate {
  inputTokens: number;
  outputTokens: number;
  /** Images the request asks for (Images API), priced per image for the budgets. */
  images?: readonly ImageSpec[];
}

/** What a request really used, known after the call; undefined = unknown (the reservation stands). */
export interface ActualUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  /** Images returned (Images API). */
  images?: readonly ImageSpec[];
}

/** An admitted request: headers to send, and the settlement to run once (idempotent) when it ends. */
export interface Admission {
  readonly headers: Readonly<Record<string, string>>;
  settle(actual: ActualUsage | undefined): void;
}

const NO_ADMISSION: Admission = Object.freeze({ headers: Object.freeze({}), settle() {} });
const NO_POLICIES: readonly CompiledUsagePolicy[] = Object.freeze([]);

interface PlannedCheck extends CounterCheck {
  readonly policy: CompiledUsagePolicy;
  readonly limitName: LimitName;
  readonly window: Window | undefined;
}

/** The store key of one counter; shared by the gateway and {@link readPolicyUsage}. */
function counterKey(prefix: string, policyId: string, subjectKey: string, limit: LimitName, windowId: string): string {
  return `${prefix}${policyId}|${subjectKey}|${limit}|${windowId}`;
}

export class UsageLimiter {
  readonly store: UsageStore;
  readonly #metrics: LimitMetrics | undefined;
  readonly #logger: LimitLogger | undefined;
  readonly #now: () => number;
  readonly #prefix: string;
  readonly #leaseMs: number;
  readonly #defaultOutput: number;
  readonly #windows = new WindowCache();
  readonly #matches = new WeakMap<Snapshot, Map<string, readonly CompiledUsagePolicy[]>>();
  readonly #prices = new WeakMap<CompiledModel, ModelPrice | null>();
  readonly #leasePrefix = randomBytes(6).toString('hex');
  readonly #ahead: AheadReservations<PlannedCheck> | undefined;
  #leaseCounter = 0;
  #lastWarn = 0;

  constructor(options: UsageLimiterOptions) {
    this.store = options.store;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#prefix = options.keyPrefix ?? LIMITS_DEFAULTS.keyPrefix;
    this.#leaseMs = options.leaseMs ?? LIMITS_DEFAULTS.leaseMs;
    this.#defaultOutput = options.defaultOutputTokens ?? LIMITS_DEFAULTS.defaultOutputTokens;
    const ahead = options.ahead ?? this.store.kind === 'redis';
    if (ahead !== false) {
      this.#ahead = new AheadReservations(this.store, ahead === true ? {} : ahead, this.#now);
    }
  }

  /** Returns reservations made ahead to the store (on shutdown, before the store closes). */
  async close(): Promise<void> {
    await this.#ahead?.close();
  }

  /** Reservations made ahead and not yet taken (tests). */
  get ticketsHeld(): number {
    return this.#ahead?.held ?? 0;
  }

  now(): number {
    return this.#now();
  }

  /** Counts a chat response a policy's guardrail intervened in. */
  guardrailIntervened(policy: string): void {
    this.#metrics?.guardrailIntervened(policy);
  }

  /**
   * The policies that apply to a caller calling a model, sorted by name. A snapshot without policies
   * answers at once; otherwise the match is computed once per (subject, teams, model) and cached with
   * the snapshot (a new config brings a new cache).
   */
  policiesFor(snapshot: Snapshot, caller: Caller, route: ServedModel): readonly CompiledUsagePolicy[] {
    const policies = snapshot.config.usagePolicies;
    if (!policies || policies.length === 0) return NO_POLICIES;
    let cache = this.#matches.get(snapshot);
    if (!cache) {
      cache = new Map();
      this.#matches.set(snapshot, cache);
    }
    const key = `${caller.subject}\0${caller.teams.join('\0')}\0\0${route.model.servedName}`;
    let hit = cache.get(key);
    if (hit) return hit;
    const principals = [caller.subject, ...caller.teams.map((t) => `team:${t}`)];
    const matched = policies.filter(
      (p) =>
        (p.subjects.length === 0 || p.subjects.some((s) => principals.includes(s))) &&
        (p.models === undefined || p.models.includes(route.model.servedName)),
    );
    hit = matched.length === 0 ? NO_POLICIES : Object.freeze(matched);
    if (cache.size >= LIMITS_DEFAULTS.matchCacheEntries) cache.clear();
    cache.set(key, hit);
    return hit;
  }

  /** The output tokens to reserve for a request that names `maxTokens` (or none). */
  outputReserve(maxTokens: number | undefined): number {
    return maxTokens !== undefined && maxTokens > 0 ? maxTokens : this.#defaultOutput;
  }

  /**
   * Checks and reserves every limit of `policies` in one atomic store operation.
   *
   * @throws GatewayError 429 `rate_limit_exceeded` / `budget_exceeded` when a limit has no room (with
   *   Retry-After and the policy's name), 503 `usage_store_unavailable` when the store cannot be reached
   *   and a matching policy has `failureMode: closed`.
   */
  async admit(
    policies: readonly CompiledUsagePolicy[],
    caller: Caller,
    model: CompiledModel,
    estimate: UsageEstimate,
  ): Promise<Admission> {
    if (policies.length === 0) return NO_ADMISSION;
    const now = this.#now();
    const planned = this.#plan(policies, caller, model, estimate, now);
    if (planned.length === 0) return NO_ADMISSION;
    // Tickets only where one request is a small share of every limit; small limits always ask the store.
    const ahead = this.#ahead && AheadReservations.eligible(planned) ? this.#ahead : undefined;
    const signature = ahead ? AheadReservations.signature(planned) : '';
    const ticket = ahead?.take(signature, planned);
    let checks: readonly PlannedCheck[] = planned;
    let leaseId: string;
    let used: readonly number[];
    if (ticket) {
      // Admitted from the reservation made ahead: its reserves (at least this request's) are settled.
      checks = ticket.checks;
      leaseId = ticket.leaseId;
      used = ticket.used;
    } else {
      leaseId = this.#nextLeaseId();
      let result: Awaited<ReturnType<UsageStore['admit']>>;
      try {
        result = await this.store.admit(planned, leaseId, now);
      } catch (err) {
        return this.#storeDown(policies, err);
      }
      if (result.failed >= 0) {
        const check = planned[result.failed] as PlannedCheck;
        const found = result.used[result.failed] ?? check.limit;
        this.#metrics?.limited(check.policy.name, REASONS[check.limitName]);
        throw this.#limitError(check, found, now);
      }
      used = result.used;
    }
    ahead?.reserve(signature, planned, this.#nextLeaseId());
    const headers = this.#headers(checks, used, now);
    let settled = false;
    return {
      headers,
      settle: (actual) => {
        if (settled) return;
        settled = true;
        const adjustments = actual ? this.#adjustments(checks, model, actual) : [];
        const leases = checks.filter((c) => c.kind === 'lease').map((c) => ({ key: c.key, leaseId }));
        if (adjustments.length === 0 && leases.length === 0) return;
        // After the current I/O phase, so the response being finished is written first.
        setImmediate(() => {
          this.store.settle(adjustments, leases).catch((err: unknown) => {
            this.#metrics?.storeFailure('settle');
            this.#warn(err, 'usage store unreachable while settling; reservations stand until their window ends');
          });
        });
      },
    };
  }

  #nextLeaseId(): string {
    return `${this.#leasePrefix}-${++this.#leaseCounter}`;
  }

  #plan(
    policies: readonly CompiledUsagePolicy[],
    caller: Caller,
    model: CompiledModel,
    estimate: UsageEstimate,
    now: number,
  ): PlannedCheck[] {
    const checks: PlannedCheck[] = [];
    const minute = minuteWindow(now);
    const minuteTtl = minute.end - now + TTL_SLACK_MS;
    for (const policy of policies) {
      const subjectKey = policy.per === 'subject' ? caller.subject : '*';
      const l = policy.limits;
      const add = (limitName: LimitName, window: Window | undefined, c: Omit<CounterCheck, 'key'>) =>
        checks.push({
          ...c,
          key: counterKey(this.#prefix, policy.id, subjectKey, limitName, window ? window.id : 'now'),
          policy,
          limitName,
          window,
        });
      if (l.requestsPerMinute !== undefined) {
        add('requestsPerMinute', minute, {
          kind: 'counter',
          limit: l.requestsPerMinute,
          need: 1,
          reserve: 1,
          ttlMs: minuteTtl,
        });
      }
      if (l.tokensPerMinute !== undefined) {
        // Admitted while any room is left; the reservation then may pass the limit by one request.
        add('tokensPerMinute', minute, {
          kind: 'counter',
          limit: l.tokensPerMinute,
          need: 1,
          reserve: countTokens(l.tokenCount, estimate.inputTokens, estimate.outputTokens),
          ttlMs: minuteTtl,
        });
      }
      if (l.concurrentRequests !== undefined) {
        add('concurrentRequests', undefined, {
          kind: 'lease',
          limit: l.concurrentRequests,
          need: 1,
          reserve: 1,
          ttlMs: this.#leaseMs,
        });
      }
      if (l.usdPerDay !== undefined || l.usdPerMonth !== undefined) {
        const reserve = Math.ceil((this.#cost(model, estimate) ?? 0) * MICRO);
        for (const [limitName, kind] of [
          ['usdPerDay', 'day'],
          ['usdPerMonth', 'month'],
        ] as const) {
          const max = l[limitName];
          if (max === undefined) continue;
          const window = this.#windows.get(kind, policy.timeZone, now);
          add(limitName, window, {
            kind: 'counter',
            limit: Math.round(max * MICRO),
            need: 1,
            reserve,
            ttlMs: window.end - now + TTL_SLACK_MS,
          });
        }
      }
    }
    return checks;
  }

  #adjustments(checks: readonly PlannedCheck[], model: CompiledModel, actual: ActualUsage): CounterAdjustment[] {
    const out: CounterAdjustment[] = [];
    let costDelta: number | undefined;
    for (const c of checks) {
      if (c.limitName === 'tokensPerMinute') {
        const real = countTokens(
          c.policy.limits.tokenCount,
          actual.inputTokens + (actual.cacheReadTokens ?? 0) + (actual.cacheWriteTokens ?? 0),
          actual.outputTokens,
        );
        if (real !== c.reserve) out.push({ key: c.key, delta: real - c.reserve });
      } else if (c.limitName === 'usdPerDay' || c.limitName === 'usdPerMonth') {
        if (costDelta === undefined) {
          const real = Math.ceil((this.#cost(model, actual) ?? 0) * MICRO);
          costDelta = real - c.reserve;
        }
        if (costDelta !== 0) out.push({ key: c.key, delta: costDelta });
      }
    }
    return out;
  }

  #cost(model: CompiledModel, usage: ActualUsage | UsageEstimate): number | undefined {
    let price = this.#prices.get(model);
    if (price === undefined) {
      price = priceFor(model) ?? null;
      this.#prices.set(model, price);
    }
    if (!price) return undefined;
    const a = usage as ActualUsage;
    return costFor(price, {
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cacheReadTokens: a.cacheReadTokens,
      cacheWriteTokens: a.cacheWriteTokens,
      ...(usage.images ? { images: usage.images } : {}),
    });
  }

  /** OpenAI's x-ratelimit headers: of all request (token) limits applied, the one with least room left. */
  #headers(checks: readonly PlannedCheck[], used: readonly number[], now: number): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [limitName, suffix] of [
      ['requestsPerMinute', 'requests'],
      ['tokensPerMinute', 'tokens'],
    ] as const) {
      let best: { limit: number; remaining: number; reset: number } | undefined;
      checks.forEach((c, i) => {
        if (c.limitName !== limitName) return;
        const remaining = Math.max(0, c.limit - (used[i] ?? 0));
        if (!best || remaining < best.remaining)
          best = { limit: c.limit, remaining, reset: (c.window?.end ?? now) - now };
      });
      if (best) {
        const b = best as { limit: number; remaining: number; reset: number };
        headers[`x-ratelimit-limit-${suffix}`] = String(b.limit);
        headers[`x-ratelimit-remaining-${suffix}`] = String(b.remaining);
        headers[`x-ratelimit-reset-${suffix}`] = formatResetDuration(b.reset);
      }
    }
    return headers;
  }

  #limitError(check: PlannedCheck, used: number, now: number): LimitExceededError {
    const budget = check.limitName === 'usdPerDay' || check.limitName === 'usdPerMonth';
    const retryMs = check.window ? check.window.end - now : 1000;
    const retryAfterSeconds = Math.max(1, Math.ceil(retryMs / 1000));
    const show = (n: number) => (budget ? (n / MICRO).toFixed(2) : String(n));
    const message = budget
      ? `Budget exceeded: usage policy '${check.policy.name}' allows ${show(check.limit)} USD per ${check.limitName === 'usdPerDay' ? 'day' : 'month'} and ${show(used)} USD have been spent. It resets in ${formatResetDuration(retryMs)}.`
      : `Rate limit reached for ${LIMIT_WORDS[check.limitName]} of usage policy '${check.policy.name}': limit ${check.limit}, used ${used}. Retry after ${retryAfterSeconds}s.`;
    const headers: Record<string, string> = {};
    const suffix =
      check.limitName === 'requestsPerMinute' ? 'requests' : check.limitName === 'tokensPerMinute' ? 'tokens' : '';
    if (suffix) {
      headers[`x-ratelimit-limit-${suffix}`] = String(check.limit);
      headers[`x-ratelimit-remaining-${suffix}`] = String(Math.max(0, check.limit - used));
      headers[`x-ratelimit-reset-${suffix}`] = formatResetDuration(retryMs);
    }
    return new LimitExceededError(budget ? 'budget_exceeded' : 'rate_limit_exceeded', message, {
      retryAfterSeconds,
      headers,
      policy: check.policy.name,
      reason: REASONS[check.limitName],
    });
  }

  #storeDown(policies: readonly CompiledUsagePolicy[], err: unknown): Admission {
    this.#metrics?.storeFailure('admit');
    const closed = policies.find((p) => p.failureMode === 'closed');
    if (closed) {
      this.#metrics?.limited(closed.name, 'store_unavailable');
      this.#warn(err, 'usage store unreachable; refusing requests of failureMode: closed policies');
      throw new GatewayError(
        'usage_store_unavailable',
        `Usage limits of policy '${closed.name}' cannot be checked right now; retry shortly.`,
        { retryAfterSeconds: 1 },
      );
    }
    this.#warn(err, 'usage store unreachable; serving without limits (failureMode: open)');
    return NO_ADMISSION;
  }

  #warn(err: unknown, message: string): void {
    const now = Date.now();
    if (now - this.#lastWarn < LIMITS_DEFAULTS.warnEveryMs) return;
    this.#lastWarn = now;
    // The error's message only (a connection error may otherwise carry the URL).
    const detail = err instanceof Error ? err.name : 'error';
    this.#logger?.warn({ store: this.store.kind, error: detail }, message);
  }
}

/** A 429 from a UsagePolicy, with the x-ratelimit headers of the limit that was hit. */
export class LimitExceededError extends GatewayError {
  readonly headers: Readonly<Record<string, string>>;
  readonly policy: string;
  readonly reason: LimitReason;

  constructor(
    code: 'rate_limit_exceeded' | 'budget_exceeded',
    message: string,
    options: { retryAfterSeconds: number; headers: Record<string, string>; policy: string; reason: LimitReason },
  ) {
    super(code, message, { retryAfterSeconds: options.retryAfterSeconds });
    this.headers = options.headers;
    this.policy = options.policy;
    this.reason = options.reason;
  }
}

function countTokens(count: 'input' | 'output' | 'total', input: number, output: number): number {
  return count === 'input' ? input : count === 'output' ? output : input + output;
}

/**
 * Current use of each limit of a policy, read from the store (for the operator's status; not on the
 * request path). With `per: subject`, `used` is the highest use of any subject and `subjects` counts them.
 */
export async function readPolicyUsage(
  store: UsageStore,
  policy: CompiledUsagePolicy,
  now = Date.now(),
  keyPrefix: string = LIMITS_DEFAULTS.keyPrefix,
): Promise<UsagePolicyLimitStatus[]> {
  const out: UsagePolicyLimitStatus[] = [];
  const windows = new WindowCache();
  const l = policy.limits;
  const entries: [LimitName, number | undefined, Window | undefined][] = [
    ['requestsPerMinute', l.requestsPerMinute, minuteWindow(now)],
    ['tokensPerMinute', l.tokensPerMinute, minuteWindow(now)],
    ['concurrentRequests', l.concurrentRequests, undefined],
    ['usdPerDay', l.usdPerDay, windows.get('day', policy.timeZone, now)],
    ['usdPerMonth', l.usdPerMonth, windows.get('month', policy.timeZone, now)],
  ];
  for (const [limit, max, window] of entries) {
    if (max === undefined) continue;
    const found = await store.scan(`${keyPrefix}${policy.id}|`, `|${limit}|${window ? window.id : 'now'}`, now);
    let used = 0;
    let subjects = 0;
    for (const v of found.values()) {
      if (v > 0) subjects++;
      used = Math.max(used, v);
    }
    const budget = limit === 'usdPerDay' || limit === 'usdPerMonth';
    const status: UsagePolicyLimitStatus = { limit, max, used: budget ? Math.round(used / 10_000) / 100 : used };
    if (policy.per === 'subject') status.subjects = subjects;
    if (window) status.resetsAt = new Date(window.end).toISOString();
    out.push(status);
  }
  return out;
}
