/**
 * Reads the route targets gateway replicas have ejected out of the shared store (the Redis the
 * UsagePolicy counters live in): one hash per route, `routeEjectionKey(namespace, name)`, field = the
 * target's served name, value = epoch milliseconds until which it is ejected. The gateway writes it; the
 * operator only reads, for `status.ejectedTargets` and each target's `ejectedUntil`.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { routeEjectionKey } from '../../gateway/src/config/index.js';

export interface RouteEjectionReader {
  /** Served name → epoch ms until; every field, expired ones included (the caller compares with now). */
  read(namespace: string, name: string): Promise<Map<string, number>>;
  close(): Promise<void>;
}

export interface RouteEjectionReaderOptions {
  redisUrl: string;
  redisPassword?: string;
  /** PEM CA of a `rediss://` server. */
  redisCa?: string;
  /** Milliseconds a read may take (default 2000). */
  commandTimeoutMs?: number;
  onError?: (err: Error) => void;
}

/** A reader over its own connection, with the same connection options the usage store uses. */
export function createRouteEjectionReader(options: RouteEjectionReaderOptions): RouteEjectionReader {
  const timeout = options.commandTimeoutMs ?? 2000;
  const redisOptions: RedisOptions = {
    // A read waits for the connection at most `commandTimeout`; a store that is down fails the read (the
    // operator logs it and keeps the last reading) while the client reconnects in the background.
    maxRetriesPerRequest: 0,
    commandTimeout: timeout,
    connectTimeout: Math.max(1000, timeout),
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 5000),
  };
  if (options.redisPassword !== undefined) redisOptions.password = options.redisPassword;
  if (options.redisCa !== undefined && options.redisUrl.startsWith('rediss://')) {
    redisOptions.tls = { ca: options.redisCa };
  }
  const redis = new Redis(options.redisUrl, redisOptions);
  // ioredis reports connection errors as events; without a listener Node would treat them as fatal.
  redis.on('error', (err: Error) => options.onError?.(err));
  return {
    async read(namespace, name) {
      const fields = await redis.hgetall(routeEjectionKey(namespace, name));
      const out = new Map<string, number>();
      for (const [servedName, value] of Object.entries(fields)) {
        const until = Number(value);
        // Written by gateways; anything that is not a time is ignored rather than shown.
        if (Number.isSafeInteger(until) && until > 0) out.set(servedName, until);
      }
      return out;
    },
    async close() {
      redis.disconnect();
    },
  };
}
