/**
 * Where limit counters live. Each admission is one atomic check-and-reserve over all the counters a
 * request touches: either every counter has room and all are reserved, or none is touched. Redis does
 * this in one Lua script (one round trip; N gateway replicas then enforce one limit exactly); the
 * in-process store does the same synchronously for a single replica.
 */
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';

// ioredis (a CommonJS package) is loaded when the first store is built, so a gateway without a
// Redis URL never holds it in memory (docs/benchmarks.md, Memory).
const requireLazily = createRequire(import.meta.url);
const redisClass = (): typeof Redis => (requireLazily('ioredis') as typeof import('ioredis')).Redis;

/** One counter a request must fit into. */
export interface CounterCheck {
  readonly key: string;
  /**
   * `counter`: a number in a fixed window (requests, tokens, micro-USD).
   * `lease`: requests in flight, as leases that expire on their own if a replica dies holding them.
   */
  readonly kind: 'counter' | 'lease';
  readonly limit: number;
  /** The request is admitted when `used + need <= limit`. */
  readonly need: number;
  /** Added on admission (for leases: one lease, whatever this says). */
  readonly reserve: number;
  /** Counters: how long the key lives (window end + slack). Leases: the lease lifetime. */
  readonly ttlMs: number;
}

export interface AdmitResult {
  /** Index of the first check without room; -1 when admitted. */
  readonly failed: number;
  /** Use of each check after the reservation (admitted) or as found (up to the failed one). */
  readonly used: readonly number[];
}

/** A correction after the call: real usage minus the reservation. */
export interface CounterAdjustment {
  readonly key: string;
  readonly delta: number;
}

export interface UsageStore {
  readonly kind: 'memory' | 'redis';
  /** False while the store is known to be unreachable (its connection is down). */
  readonly connected: boolean;
  admit(checks: readonly CounterCheck[], leaseId: string, now: number): Promise<AdmitResult>;
  /** Applies adjustments to counters that still exist and ends leases. */
  settle(adjustments: readonly CounterAdjustment[], leases: readonly { key: string; leaseId: string }[]): Promise<void>;
  /** Values of the counters (or live leases) whose keys match `prefix*suffix`. */
  scan(prefix: string, suffix: string, now: number): Promise<Map<string, number>>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------

/**
 * Counters in this process: exact for one replica (`aigw serve` without a store URL). Expired keys are
 * swept lazily on access and every `sweepEvery` admissions, so memory stays bounded by live windows.
 */
export class MemoryUsageStore implements UsageStore {
  readonly kind = 'memory';
  readonly connected = true;
  readonly #counters = new Map<string, { value: number; expiresAt: number }>();
  readonly #leases = new Map<string, Map<string, number>>();
  #admissions = 0;

  async admit(checks: readonly CounterCheck[], leaseId: string, now: number): Promise<AdmitResult> {
    if (++this.#admissions % 10_000 === 0) this.#sweep(now);
    const used: number[] = [];
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i] as CounterCheck;
      const u = c.kind === 'lease' ? this.#liveLeases(c.key, now) : this.#counter(c.key, now);
      used.push(u);
      if (u + c.need > c.limit) return { failed: i, used };
    }
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i] as CounterCheck;
      if (c.kind === 'lease') {
        let set = this.#leases.get(c.key);
        if (!set) {
          set = new Map();
          this.#leases.set(c.key, set);
        }
        set.set(leaseId, now + c.ttlMs);
        used[i] = (used[i] as number) + 1;
      } else {
        const entry = this.#counters.get(c.key);
        const value = (entry && entry.expiresAt > now ? entry.value : 0) + c.reserve;
        this.#counters.set(c.key, { value, expiresAt: now + c.ttlMs });
        used[i] = value;
      }
    }
    return { failed: -1, used };
  }

  async settle(
    adjustments: readonly CounterAdjustment[],
    leases: readonly { key: string; leaseId: string }[],
  ): Promise<void> {
    for (const a of adjustments) {
      const entry = this.#counters.get(a.key);
      if (entry) entry.value = Math.max(0, entry.value + a.delta);
    }
    for (const l of leases) {
      const set = this.#leases.get(l.key);
      set?.delete(l.leaseId);
      if (set && set.size === 0) this.#leases.delete(l.key);
    }
  }

  async scan(prefix: string, suffix: string, now: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const [key, entry] of this.#counters) {
      if (entry.expiresAt > now && key.startsWith(prefix) && key.endsWith(suffix)) out.set(key, entry.value);
    }
    for (const key of this.#leases.keys()) {
      if (key.startsWith(prefix) && key.endsWith(suffix)) out.set(key, this.#liveLeases(key, now));
    }
    return out;
  }

  async close(): Promise<void> {
    this.#counters.clear();
    this.#leases.clear();
  }

  #counter(key: string, now: number): number {
    const entry = this.#counters.get(key);
    if (!entry) return 0;
    if (entry.expiresAt <= now) {
      this.#counters.delete(key);
      return 0;
    }
    return entry.value;
  }

  #liveLeases(key: string, now: number): number {
    const set = this.#leases.get(key);
    if (!set) return 0;
    for (const [id, expiresAt] of set) if (expiresAt <= now) set.delete(id);
    return set.size;
  }

  #sweep(now: number): void {
    for (const [key, entry] of this.#counters) if (entry.expiresAt <= now) this.#counters.delete(key);
    for (const key of this.#leases.keys()) if (this.#liveLeases(key, now) === 0) this.#leases.delete(key);
  }
}

// ---------------------------------------------------------------------------------------------

// KEYS: one per check. ARGV: now, leaseId, then per check: kind (c = counter, l = lease), limit, need,
// reserve, ttlMs. Returns {failedIndex (0 = admitted, else 1-based), used...}. Checks all first, then
// reserves all: Redis runs a script atomically, so no other replica's admission interleaves.
const ADMIT_SCRIPT = `
local now = tonumber(ARGV[1])
local lease = ARGV[2]
local n = #KEYS
local used = {}
local fresh = {}
for i = 1, n do
  local b = 2 + (i - 1) * 5
  local u
  if ARGV[b + 1] == 'l' then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
    u = redis.call('ZCARD', KEYS[i])
  else
    local v = redis.call('GET', KEYS[i])
    if v then u = tonumber(v) else u = 0 fresh[i] = true end
  end
  used[i] = u
  if u + tonumber(ARGV[b + 3]) > tonumber(ARGV[b + 2]) then
    local out = {i}
    for j = 1, i do out[j + 1] = used[j] end
    return out
  end
end
local out = {0}
for i = 1, n do
  local b = 2 + (i - 1) * 5
  local ttl = tonumber(ARGV[b + 5])
  if ARGV[b + 1] == 'l' then
    redis.call('ZADD', KEYS[i], now + ttl, lease)
    redis.call('PEXPIRE', KEYS[i], ttl)
    out[i + 1] = used[i] + 1
  else
    out[i + 1] = redis.call('INCRBY', KEYS[i], ARGV[b + 4])
    -- A counter's window id is in its key: its lifetime is set once, when the window's first request creates it.
    if fresh[i] then redis.call('PEXPIRE', KEYS[i], ttl) end
  end
end
return out
`;

// KEYS: adjusted counters, then lease sets. ARGV: number of adjustments, their deltas, then lease ids.
// A counter whose window already expired is not brought back.
const SETTLE_SCRIPT = `
local a = tonumber(ARGV[1])
for i = 1, a do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local v = redis.call('INCRBY', KEYS[i], ARGV[i + 1])
    if v < 0 then redis.call('SET', KEYS[i], 0, 'KEEPTTL') end
  end
end
for i = a + 1, #KEYS do
  redis.call('ZREM', KEYS[i], ARGV[i + 1])
end
return 0
`;

export interface RedisStoreOptions {
  url: string;
  password?: string | undefined;
  /** PEM CA(s) to verify a `rediss://` server's certificate with (else the system CAs). */
  ca?: string | undefined;
  /** A command not answered within this many ms fails (the policy's failureMode then decides). */
  commandTimeoutMs: number;
  /** Longest wait between reconnection attempts, ms. */
  maxReconnectDelayMs: number;
  onError?: (err: Error) => void;
}

type ScriptedRedis = Redis & {
  aigwAdmit(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
  aigwSettle(numKeys: number, ...args: (string | number)[]): Promise<number>;
};

/**
 * Counters in Redis (or Valkey, ElastiCache: any server speaking the protocol with Lua scripting).
 * ioredis sends scripts by SHA (EVALSHA, falling back to EVAL once), so each admission is one round trip.
 * While disconnected, commands fail at once instead of queueing (the request must not wait for a
 * store that is down); the client keeps reconnecting in the background.
 */
export class RedisUsageStore implements UsageStore {
  readonly kind = 'redis';
  readonly #redis: ScriptedRedis;
  /**
   * Settlements go over a second connection: Redis answers one connection in order, so a settlement in
   * flight would otherwise hold up the next request's admission behind it.
   */
  readonly #settler: ScriptedRedis;

  constructor(options: RedisStoreOptions) {
    const RedisClient = redisClass();
    const redisOptions: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: Math.max(1000, options.commandTimeoutMs),
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), options.maxReconnectDelayMs),
      lazyConnect: false,
    };
    if (options.password !== undefined) redisOptions.password = options.password;
    // rediss:// turns TLS on in ioredis; a private CA is added to it (never TLS for a redis:// URL).
    if (options.ca !== undefined && options.url.startsWith('rediss://')) redisOptions.tls = { ca: options.ca };
    this.#redis = new RedisClient(options.url, redisOptions) as ScriptedRedis;
    this.#redis.defineCommand('aigwAdmit', { lua: ADMIT_SCRIPT });
    this.#settler = new RedisClient(options.url, redisOptions) as ScriptedRedis;
    this.#settler.defineCommand('aigwSettle', { lua: SETTLE_SCRIPT });
    // ioredis emits connection errors as events; without a listener Node would treat them as fatal.
    this.#redis.on('error', (err: Error) => options.onError?.(err));
    this.#settler.on('error', (err: Error) => options.onError?.(err));
  }

  get connected(): boolean {
    return this.#redis.status === 'ready';
  }

  /** Resolves true once connected, false when not connected within `timeoutMs` (it keeps trying). */
  async ready(timeoutMs: number): Promise<boolean> {
    const one = (client: ScriptedRedis) =>
      client.status === 'ready'
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => {
              client.off('ready', onReady);
              resolve(false);
            }, timeoutMs);
            timer.unref();
            const onReady = () => {
              clearTimeout(timer);
              resolve(true);
            };
            client.once('ready', onReady);
          });
    const [a, b] = await Promise.all([one(this.#redis), one(this.#settler)]);
    return a && b;
  }

  async admit(checks: readonly CounterCheck[], leaseId: string, now: number): Promise<AdmitResult> {
    const args: (string | number)[] = [];
    for (const c of checks) args.push(c.key);
    args.push(now, leaseId);
    for (const c of checks) args.push(c.kind === 'lease' ? 'l' : 'c', c.limit, c.need, c.reserve, c.ttlMs);
    const reply = await this.#redis.aigwAdmit(checks.length, ...args);
    const [first, ...used] = reply.map(Number);
    return { failed: (first ?? 0) - 1, used };
  }

  async settle(
    adjustments: readonly CounterAdjustment[],
    leases: readonly { key: string; leaseId: string }[],
  ): Promise<void> {
    if (adjustments.length === 0 && leases.length === 0) return;
    const keys = [...adjustments.map((a) => a.key), ...leases.map((l) => l.key)];
    await this.#settler.aigwSettle(
      keys.length,
      ...keys,
      adjustments.length,
      ...adjustments.map((a) => a.delta),
      ...leases.map((l) => l.leaseId),
    );
  }

  async scan(prefix: string, suffix: string, now: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const pattern = `${escapeGlob(prefix)}*${escapeGlob(suffix)}`;
    let cursor = '0';
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const type = await this.#redis.type(key);
        if (type === 'zset') out.set(key, await this.#redis.zcount(key, `(${now}`, '+inf'));
        else if (type === 'string') out.set(key, Number(await this.#redis.get(key)) || 0);
      }
    } while (cursor !== '0');
    return out;
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
    this.#settler.disconnect();
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
