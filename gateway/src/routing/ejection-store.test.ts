import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRedis, redisAvailability, startRedis } from '../../../test/helpers/redis.js';
import { routeEjectionKey } from '../config/index.js';
import { RedisEjectionSink } from './ejection-store.js';

const availability = redisAvailability();

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const value = await read();
    if (ok(value) || i > 100) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!availability.run)('RedisEjectionSink on a real redis-server', () => {
  let redis: RunningRedis;
  let reader: Redis;
  let sink: RedisEjectionSink;
  beforeAll(async () => {
    redis = await startRedis({ password: 'pw-ejections' });
    reader = new Redis(redis.url, { password: 'pw-ejections' });
    sink = new RedisEjectionSink({ url: redis.url, password: 'pw-ejections', commandTimeoutMs: 2000 });
  });
  afterAll(async () => {
    await sink?.close();
    reader?.disconnect();
    await redis?.stop();
  });

  it('records ejections in the route hash the operator reads, the longest one winning, and clears on restore', async () => {
    const key = routeEjectionKey('ai', 'claude');
    const until = Date.now() + 60_000;
    // The first write opens the connection and waits for it.
    sink.ejected(key, 'east/sonnet', until, 120_000);
    await eventually(
      () => reader.hget(key, 'east/sonnet'),
      (v) => v !== null,
    );
    expect(await reader.hget(key, 'east/sonnet')).toBe(String(until));
    // A shorter ejection reported by another replica later does not hide the longer one.
    sink.ejected(key, 'east/sonnet', until - 30_000, 120_000);
    sink.ejected(key, 'west/sonnet', until + 5, 120_000);
    const all = await eventually(
      () => reader.hgetall(key),
      (v) => v['west/sonnet'] !== undefined,
    );
    expect(all).toEqual({ 'east/sonnet': String(until), 'west/sonnet': String(until + 5) });
    const ttl = await reader.pttl(key);
    expect(ttl).toBeGreaterThan(100_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
    sink.restored(key, 'east/sonnet');
    expect(
      await eventually(
        () => reader.hgetall(key),
        (v) => v['east/sonnet'] === undefined,
      ),
    ).toEqual({ 'west/sonnet': String(until + 5) });
  });

  it('never throws or blocks while the store is down', async () => {
    const down = new RedisEjectionSink({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 100 });
    const started = performance.now();
    for (let i = 0; i < 1000; i++) down.ejected('k', 't', Date.now(), 1000);
    down.restored('k', 't');
    expect(performance.now() - started).toBeLessThan(1000);
    await down.close();
  });
});
