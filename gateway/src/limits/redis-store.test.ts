import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRedis, redisAvailability, startRedis } from '../../../test/helpers/redis.js';
import type { Caller } from '../config/index.js';
import type { CompiledModel, CompiledUsagePolicy } from '../config/types.js';
import { readPolicyUsage, UsageLimiter } from './limiter.js';
import { type CounterCheck, RedisUsageStore } from './store.js';

const availability = redisAvailability();
const PASSWORD = 'test-redis-password-4711';

describe.skipIf(!availability.run)('RedisUsageStore on a real redis-server', () => {
  let redis: RunningRedis;
  const stores: RedisUsageStore[] = [];
  const store = (password: string | undefined = PASSWORD) => {
    const s = new RedisUsageStore({ url: redis.url, password, commandTimeoutMs: 5000, maxReconnectDelayMs: 200 });
    stores.push(s);
    return s;
  };
  beforeAll(async () => {
    redis = await startRedis({ password: PASSWORD });
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await redis?.stop();
  });

  it('admits exactly the limit when two clients race, and all-or-nothing across checks', async () => {
    const [a, b] = [store(), store()];
    await Promise.all([a.ready(5000), b.ready(5000)]);
    const now = Date.now();
    const checks: CounterCheck[] = [
      { key: 't1:rpm', kind: 'counter', limit: 50, need: 1, reserve: 1, ttlMs: 60_000 },
      { key: 't1:conc', kind: 'lease', limit: 1000, need: 1, reserve: 1, ttlMs: 60_000 },
    ];
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).admit(checks, `lease-${i}`, now)),
    );
    expect(results.filter((r) => r.failed === -1)).toHaveLength(50);
    expect(results.filter((r) => r.failed === 0)).toHaveLength(150);
    // Refused admissions reserved nothing, not even in the checks after the failing one.
    const found = await a.scan('t1:', '', now);
    expect(Object.fromEntries(found)).toEqual({ 't1:rpm': 50, 't1:conc': 50 });
    // Leases end at settlement, and expire on their own.
    await a.settle([{ key: 't1:rpm', delta: -10 }], [{ key: 't1:conc', leaseId: 'lease-0' }]);
    expect(Object.fromEntries(await a.scan('t1:', '', now))).toEqual({ 't1:rpm': 40, 't1:conc': 49 });
    expect(Object.fromEntries(await a.scan('t1:', '', now + 61_000))).toEqual({ 't1:rpm': 40, 't1:conc': 0 });
  });

  it("sets a counter's lifetime when its window's first request creates it, and never extends it", async () => {
    const s = store();
    await s.ready(5000);
    const direct = new Redis(redis.url, { password: PASSWORD });
    try {
      const check = (ttlMs: number): CounterCheck[] => [
        { key: 't2:rpm', kind: 'counter', limit: 10, need: 1, reserve: 1, ttlMs },
      ];
      await s.admit(check(60_000), 'l1', Date.now());
      const first = await direct.pttl('t2:rpm');
      expect(first).toBeGreaterThan(50_000);
      await s.admit(check(3_600_000), 'l2', Date.now());
      const second = await direct.pttl('t2:rpm');
      expect(second).toBeLessThanOrEqual(first);
      expect(await direct.get('t2:rpm')).toBe('2');
    } finally {
      direct.disconnect();
    }
  });

  it("reports a policy's use for the operator, per subject", async () => {
    const s = store();
    await s.ready(5000);
    const policy: CompiledUsagePolicy = {
      id: 'ns/p',
      name: 'p',
      subjects: [],
      per: 'subject',
      limits: { requestsPerMinute: 10, usdPerDay: 2, tokenCount: 'total' },
      timeZone: 'UTC',
      failureMode: 'closed',
    };
    const model = {
      servedName: 'a/m',
      modelId: 'amazon.nova-lite-v1:0',
      pricing: { inputPerMillionTokens: 10_000, outputPerMillionTokens: 10_000 },
    } as CompiledModel;
    const now = Date.UTC(2026, 11, 3, 10, 0, 30);
    // Reservations made ahead (ahead.test.ts) would show as one request more per subject until returned.
    const limiter = new UsageLimiter({ store: s, now: () => now, ahead: false });
    const who = (subject: string) => ({ subject, teams: [] }) as unknown as Caller;
    for (const subject of ['user:a', 'user:a', 'user:a', 'user:b']) {
      const admission = await limiter.admit([policy], who(subject), model, { inputTokens: 10, outputTokens: 10 });
      admission.settle({ inputTokens: 5, outputTokens: 5 });
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(await readPolicyUsage(s, policy, now)).toEqual([
      { limit: 'requestsPerMinute', max: 10, used: 3, subjects: 2, resetsAt: '2026-12-03T10:01:00.000Z' },
      // 3 requests of 10 tokens at 1 cent each.
      { limit: 'usdPerDay', max: 2, used: 0.3, subjects: 2, resetsAt: '2026-12-04T00:00:00.000Z' },
    ]);
  });

  it('needs the password (and never puts it in errors)', async () => {
    const s = store('wrong-password');
    const errors: string[] = [];
    await s.ready(500);
    const err = await s
      .admit([{ key: 'x', kind: 'counter', limit: 1, need: 1, reserve: 1, ttlMs: 1000 }], 'l', Date.now())
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(err).toBeInstanceOf(Error);
    errors.push(String(err?.message));
    expect(errors.join('\n')).not.toContain('wrong-password');
  });
});
