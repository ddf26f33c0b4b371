import { LIMITS_DEFAULTS } from './limiter.js';
import { MemoryUsageStore, RedisUsageStore, type UsageStore } from './store.js';

export {
  type ActualUsage,
  type Admission,
  LIMITS_DEFAULTS,
  LimitExceededError,
  type LimitMetrics,
  type LimitReason,
  readPolicyUsage,
  type UsageEstimate,
  UsageLimiter,
  type UsageLimiterOptions,
} from './limiter.js';
export {
  type AdmitResult,
  type CounterCheck,
  MemoryUsageStore,
  type RedisStoreOptions,
  RedisUsageStore,
  type UsageStore,
} from './store.js';
export { dayWindow, formatResetDuration, minuteWindow, monthWindow } from './windows.js';

/**
 * The store limits are counted in: Redis when a URL is given (shared by every replica), else this
 * process's memory (exact for one replica only).
 */
export function createUsageStore(options: {
  redisUrl?: string | undefined;
  redisPassword?: string | undefined;
  /** PEM CA of a `rediss://` server. */
  redisCa?: string | undefined;
  commandTimeoutMs?: number;
  onError?: (err: Error) => void;
}): UsageStore {
  if (!options.redisUrl) return new MemoryUsageStore();
  return new RedisUsageStore({
    url: options.redisUrl,
    password: options.redisPassword,
    ca: options.redisCa,
    commandTimeoutMs: options.commandTimeoutMs ?? LIMITS_DEFAULTS.storeTimeoutMs,
    maxReconnectDelayMs: LIMITS_DEFAULTS.maxReconnectDelayMs,
    ...(options.onError ? { onError: options.onError } : {}),
  });
}
