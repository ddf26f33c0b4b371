import { describe, expect, it } from 'vitest';
import type { Caller } from '../config/index.js';
import type { CompiledModel, CompiledUsagePolicy } from '../config/types.js';
import { type Admission, UsageLimiter } from './limiter.js';
import { type AdmitResult, type CounterCheck, MemoryUsageStore, type UsageStore } from './store.js';
import { minuteWindow } from './windows.js';

const model: CompiledModel = {
  servedName: 'prod/pricey',
  account: 'prod',
  name: 'pricey',
  modelId: 'amazon.nova-lite-v1:0',
  region: 'us-east-1',
  type: 'chat',
  family: 'amazon-nova',
  pricing: { inputPerMillionTokens: 1, outputPerMillionTokens: 1 },
};
const caller = (subject: string): Caller =>
  ({ subject, teams: [], source: 'test', keyHash: '', accounts: new Set(['prod']) }) as unknown as Caller;
const policy = (name: string, limits: Partial<CompiledUsagePolicy['limits']>): CompiledUsagePolicy => ({
  id: `default/${name}`,
  name,
  subjects: [],
  per: 'shared',
  timeZone: 'UTC',
  failureMode: 'open',
  limits: { tokenCount: 'total', ...limits },
});

/** A shared store whose answers can be held back, to tell admissions that waited for it from those that did not. */
class GatedStore implements UsageStore {
  readonly kind = 'redis';
  connected = true;
  readonly inner = new MemoryUsageStore();
  admits = 0;
  /** The first check's limit of each admission asked (a ticket asks with half the limit). */
  readonly limits: number[] = [];
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }
  release(): void {
    this.#open?.();
    this.#gate = undefined;
  }
  async admit(checks: readonly CounterCheck[], leaseId: string, now: number): Promise<AdmitResult> {
    this.admits++;
    this.limits.push(checks[0]?.limit ?? 0);
    await this.#gate;
    return this.inner.admit(checks, leaseId, now);
  }
  settle(...args: Parameters<UsageStore['settle']>) {
    return this.inner.settle(...args);
  }
  scan(prefix: string, suffix: string, now: number) {
    return this.inner.scan(prefix, suffix, now);
  }
  async close() {}
}

const NOW = Date.UTC(2026, 11, 3, 12, 0, 10);
const tick = () => new Promise((resolve) => setImmediate(resolve));

async function tryAdmit(limiter: UsageLimiter, policies: CompiledUsagePolicy[], who = 'user:a', output = 10) {
  try {
    return await limiter.admit(policies, caller(who), model, { inputTokens: 10, outputTokens: output });
  } catch (err) {
    return err as Error;
  }
}

async function used(store: UsageStore, name: string, limit: string): Promise<number> {
  const found = await store.scan(
    `aigw:usage:default/${name}|`,
    `|${limit}|${limit === 'concurrentRequests' ? 'now' : minuteWindow(NOW).id}`,
    NOW,
  );
  return [...found.values()].reduce((a, b) => a + b, 0);
}

describe('reservations made one request ahead', () => {
  it('admits the next request without waiting for the store, while counters are at most half used', async () => {
    const store = new GatedStore();
    const limiter = new UsageLimiter({ store, now: () => NOW });
    const p = [policy('rpm', { requestsPerMinute: 100 }), policy('conc', { concurrentRequests: 100 })];
    expect(await tryAdmit(limiter, p)).not.toBeInstanceOf(Error);
    await tick();
    expect(limiter.ticketsHeld).toBe(1);
    // The store does not answer now: the next admission still completes, from the ticket.
    store.hold();
    const second = limiter.admit(p, caller('user:a'), model, { inputTokens: 10, outputTokens: 10 });
    const settled = await Promise.race([second.then(() => 'admitted'), tick().then(() => 'waiting')]);
    expect(settled).toBe('admitted');
    // A third one must wait: the next ticket is still on its way.
    const third = limiter.admit(p, caller('user:a'), model, { inputTokens: 10, outputTokens: 10 });
    expect(await Promise.race([third.then(() => 'admitted'), tick().then(() => 'waiting')])).toBe('waiting');
    store.release();
    expect(await third).toBeDefined();
    await limiter.close();
  });

  it('gives the same x-ratelimit headers as asking the store each time', async () => {
    const store = new GatedStore();
    const limiter = new UsageLimiter({ store, now: () => NOW });
    const p = [policy('rpm', { requestsPerMinute: 100 })];
    const remaining: string[] = [];
    for (let i = 0; i < 102; i++) {
      const a = await tryAdmit(limiter, p);
      remaining.push(
        a instanceof Error ? 'refused' : ((a as Admission).headers['x-ratelimit-remaining-requests'] ?? ''),
      );
      await tick();
    }
    expect(remaining).toEqual([...Array.from({ length: 100 }, (_, i) => String(99 - i)), 'refused', 'refused']);
    await limiter.close();
  });

  it('two replicas on one store admit exactly the limit, and none once it is reached', async () => {
    const store = new GatedStore();
    const replicas = [0, 1].map(() => new UsageLimiter({ store, now: () => NOW }));
    const p = [policy('rpm', { requestsPerMinute: 200 })];
    let admitted = 0;
    for (let i = 0; i < 300; i++) {
      const a = await tryAdmit(replicas[i % 2] as UsageLimiter, p, `user:${i}`);
      if (!(a instanceof Error)) admitted++;
      if (i % 3 === 0) await tick();
    }
    expect(admitted).toBe(200);
    // Requests that asked the store themselves (with the full limit); the others were admitted from tickets.
    const direct = store.limits.filter((l) => l === 200).length;
    expect(300 - direct).toBeGreaterThan(40);
    expect(await used(store, 'rpm', 'requestsPerMinute')).toBe(200);
    for (const r of replicas) expect(r.ticketsHeld).toBe(0);
  });

  it('takes no ticket for small limits, where one request is more than 1 % of the limit', async () => {
    const store = new GatedStore();
    const limiter = new UsageLimiter({ store, now: () => NOW });
    for (const p of [
      [policy('rpm', { requestsPerMinute: 60 })],
      [policy('conc', { concurrentRequests: 20 })],
      [policy('tpm', { tokensPerMinute: 1000 })],
    ]) {
      await tryAdmit(limiter, p);
      await tick();
      expect(limiter.ticketsHeld).toBe(0);
    }
    await limiter.close();
  });

  it('takes no ticket past half of a limit, so the last admissions of a window are exact', async () => {
    const store = new GatedStore();
    const limiter = new UsageLimiter({ store, now: () => NOW });
    const p = [policy('rpm', { requestsPerMinute: 100 })];
    for (let i = 0; i < 49; i++) {
      await tryAdmit(limiter, p);
      await tick();
    }
    // 49 admitted + 1 ahead = 50 = half.
    expect(limiter.ticketsHeld).toBe(1);
    expect(await used(store, 'rpm', 'requestsPerMinute')).toBe(50);
    await tryAdmit(limiter, p);
    await tick();
    expect(limiter.ticketsHeld).toBe(0);
    expect(await used(store, 'rpm', 'requestsPerMinute')).toBe(50);
    await limiter.close();
  });

  it('does not serve a request whose estimate is larger than the ticket, and settles against what the ticket reserved', async () => {
    const store = new GatedStore();
    const limiter = new UsageLimiter({ store, now: () => NOW });
    const p = [policy('tpm', { tokensPerMinute: 100_000 })];
    const first = (await tryAdmit(limiter, p, 'user:a', 100)) as Admission;
    first.settle({ inputTokens: 10, outputTokens: 5 });
    await tick();
    await tick();
    // 15 settled + 110 held ahead.
    expect(await used(store, 'tpm', 'tokensPerMinute')).toBe(125);
    store.hold();
    // Larger than the ticket: goes to the store (and waits for it).
    const big = limiter.admit(p, caller('user:a'), model, { inputTokens: 10, outputTokens: 500 });
    expect(await Promise.race([big.then(() => 'admitted'), tick().then(() => 'waiting')])).toBe('waiting');
    // Smaller: served by the ticket at once; its settlement corrects the ticket's 110.
    const small = (await tryAdmit(limiter, p, 'user:a', 50)) as Admission;
    store.release();
    await big;
    small.settle({ inputTokens: 10, outputTokens: 20 });
    await tick();
    await tick();
    await limiter.close();
    // 15 + 30 (small, settled) + 510 (big, not settled) and nothing ahead after close.
    expect(await used(store, 'tpm', 'tokensPerMinute')).toBe(15 + 30 + 510);
  });

  it('returns a ticket nobody took, and every ticket on close', async () => {
    const store = new GatedStore();
    const limiter = new UsageLimiter({ store, ahead: { idleMs: 20 } });
    const p = [policy('conc', { concurrentRequests: 100 })];
    const a = (await tryAdmit(limiter, p)) as Admission;
    await tick();
    expect(limiter.ticketsHeld).toBe(1);
    expect(await used(store, 'conc', 'concurrentRequests')).toBe(2);
    await new Promise((r) => setTimeout(r, 80));
    expect(limiter.ticketsHeld).toBe(0);
    expect(await used(store, 'conc', 'concurrentRequests')).toBe(1);
    a.settle(undefined);
    await tick();
    await tick();
    expect(await used(store, 'conc', 'concurrentRequests')).toBe(0);
    await tryAdmit(limiter, p);
    await tick();
    expect(limiter.ticketsHeld).toBe(1);
    await limiter.close();
    expect(await used(store, 'conc', 'concurrentRequests')).toBe(1);
  });

  it('takes no ticket while the store is down, so a closed policy refuses at once', async () => {
    const store = new GatedStore();
    const limiter = new UsageLimiter({ store, now: () => NOW });
    const closed = [{ ...policy('strict', { requestsPerMinute: 100 }), failureMode: 'closed' as const }];
    await tryAdmit(limiter, closed);
    await tick();
    expect(limiter.ticketsHeld).toBe(1);
    store.connected = false;
    store.admit = () => Promise.reject(new Error('connection closed'));
    const refused = await tryAdmit(limiter, closed);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as { status?: number }).status).toBe(503);
    await limiter.close();
  });

  it('is off for the in-process store, which answers without waiting', async () => {
    const limiter = new UsageLimiter({ store: new MemoryUsageStore(), now: () => NOW });
    await tryAdmit(limiter, [policy('rpm', { requestsPerMinute: 100 })]);
    await tick();
    expect(limiter.ticketsHeld).toBe(0);
  });
});
