/**
 * Where a replica reports route target ejections for the operator's ModelRoute status (docs/resources.md,
 * ModelRoute status): one Redis hash per route, field `account/model`, value the epoch ms the ejection
 * ends. Writes are fire-and-forget: never awaited by a request and dropped when the store is unreachable,
 * so an ejection costs the request path nothing.
 */
import { Redis, type RedisOptions } from 'ioredis';

/** Reports ejections; implementations never throw and never block. */
export interface EjectionSink {
  /** The target is ejected until `until` (epoch ms); `ttlMs` bounds how long the record may live. */
  ejected(key: string, target: string, until: number, ttlMs: number): void;
  /** The target is back in rotation. */
  restored(key: string, target: string): void;
  close(): Promise<void>;
}

// Max wins across replicas: a shorter ejection reported later never hides a longer one still running.
const EJECT_SCRIPT = `
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if current < tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

type ScriptedRedis = Redis & {
  aigwEject(keys: number, key: string, target: string, until: number, ttlMs: number): Promise<unknown>;
};

export interface RedisEjectionSinkOptions {
  url: string;
  password?: string | undefined;
  /** PEM CA of a `rediss://` server. */
  ca?: string | undefined;
  /** Per command, ms. */
  commandTimeoutMs: number;
  onError?: (err: Error) => void;
}

/** The Redis the UsagePolicy limiter uses, over a connection of its own. */
export class RedisEjectionSink implements EjectionSink {
  readonly #redis: ScriptedRedis;
  readonly #onError: ((err: Error) => void) | undefined;

  constructor(options: RedisEjectionSinkOptions) {
    // Connected on the first ejection (a gateway without routes never opens it); until then, and while it
    // reconnects, writes wait in the offline queue, which the first failed reconnect empties (no retries), so
    // an unreachable store holds at most the few ejections of one reconnect delay.
    const redisOptions: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: true,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: Math.max(1000, options.commandTimeoutMs),
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 5_000),
    };
    if (options.password !== undefined) redisOptions.password = options.password;
    if (options.ca !== undefined && options.url.startsWith('rediss://')) redisOptions.tls = { ca: options.ca };
    this.#redis = new Redis(options.url, redisOptions) as ScriptedRedis;
    this.#redis.defineCommand('aigwEject', { lua: EJECT_SCRIPT });
    this.#onError = options.onError;
    // Connection errors arrive as events; without a listener Node would treat them as fatal.
    this.#redis.on('error', (err: Error) => this.#onError?.(err));
  }

  ejected(key: string, target: string, until: number, ttlMs: number): void {
    this.#redis.aigwEject(1, key, target, until, Math.max(1, Math.ceil(ttlMs))).catch(this.#dropped);
  }

  restored(key: string, target: string): void {
    this.#redis.hdel(key, target).catch(this.#dropped);
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }

  readonly #dropped = (err: Error): void => this.#onError?.(err);
}
