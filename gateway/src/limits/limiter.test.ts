import { describe, expect, it } from 'vitest';
import type { Caller, ServedModel, Snapshot } from '../config/index.js';
import type { CompiledModel, CompiledUsagePolicy } from '../config/types.js';
import type { GatewayError } from '../errors/index.js';
import { LimitExceededError, type LimitMetrics, readPolicyUsage, UsageLimiter } from './limiter.js';
import { MemoryUsageStore, type UsageStore } from './store.js';

const model: CompiledModel = {
  servedName: 'prod/pricey',
  account: 'prod',
  name: 'pricey',
  modelId: 'amazon.nova-lite-v1:0',
  region: 'us-east-1',
  type: 'chat',
  family: 'amazon-nova',
  // 1 USD per million tokens either way: 1 token = 1 micro-dollar.
  pricing: { inputPerMillionTokens: 1, outputPerMillionTokens: 1 },
};
const route = { model } as unknown as ServedModel;
const caller = (subject: string, teams: string[] = []): Caller =>
  ({ subject, teams, source: 'test', keyHash: '', accounts: new Set(['prod']) }) as unknown as Caller;

const policy = (p: Partial<CompiledUsagePolicy> & { name: string }): CompiledUsagePolicy => ({
  id: `default/${p.name}`,
  subjects: [],
  per: 'shared',
  timeZone: 'UTC',
  failureMode: 'open',
  ...p,
  limits: { tokenCount: 'total', ...(p.limits ?? {}) },
});
const snapshotOf = (policies: CompiledUsagePolicy[]) =>
  ({ config: { usagePolicies: policies } }) as unknown as Snapshot;

function setup(options: { store?: UsageStore; start?: number } = {}) {
  let now = options.start ?? Date.UTC(2026, 11, 3, 12, 0, 0);
  const events: string[] = [];
  const metrics: LimitMetrics = {
    limited: (p, r) => events.push(`limited ${p} ${r}`),
    storeFailure: (op) => events.push(`store ${op}`),
    guardrailIntervened: (p) => events.push(`guardrail ${p}`),
  };
  const store = options.store ?? new MemoryUsageStore();
  const limiter = new UsageLimiter({ store, metrics, now: () => now });
  return {
    limiter,
    store,
    events,
    advance: (ms: number) => {
      now += ms;
    },
    at: (t: number) => {
      now = t;
    },
  };
}

async function attempt(
  limiter: UsageLimiter,
  policies: readonly CompiledUsagePolicy[],
  who: Caller,
  input = 10,
  output = 10,
) {
  try {
    return await limiter.admit(policies, who, model, { inputTokens: input, outputTokens: output });
  } catch (err) {
    return err as GatewayError;
  }
}

describe('UsageLimiter', () => {
  it('matches by subject or team and model, and caches the answer per snapshot', () => {
    const { limiter } = setup();
    const team = policy({ name: 'team', subjects: ['team:ml'] });
    const other = policy({ name: 'other', models: ['prod/other'] });
    const all = policy({ name: 'all' });
    const snap = snapshotOf([all, other, team]);
    expect(limiter.policiesFor(snap, caller('user:a', ['ml']), route).map((p) => p.name)).toEqual(['all', 'team']);
    expect(limiter.policiesFor(snap, caller('user:b'), route).map((p) => p.name)).toEqual(['all']);
    expect(limiter.policiesFor(snap, caller('user:a', ['ml']), route)).toBe(
      limiter.policiesFor(snap, caller('user:a', ['ml']), route),
    );
    expect(limiter.policiesFor(snapshotOf([]), caller('user:a'), route)).toEqual([]);
  });

  it('counts requests per calendar minute, with OpenAI headers, and admits again in the next minute', async () => {
    const { limiter, advance, events } = setup();
    const p = [policy({ name: 'rpm', limits: { requestsPerMinute: 2, tokenCount: 'total' } })];
    advance(45_500);
    const first = await attempt(limiter, p, caller('user:a'));
    expect(first).not.toBeInstanceOf(Error);
    expect((first as { headers: Record<string, string> }).headers).toEqual({
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-remaining-requests': '1',
      'x-ratelimit-reset-requests': '15s',
    });
    await attempt(limiter, p, caller('user:b'));
    const third = await attempt(limiter, p, caller('user:c'));
    expect(third).toBeInstanceOf(LimitExceededError);
    const err = third as LimitExceededError;
    expect([err.status, err.code, err.retryAfterSeconds]).toEqual([429, 'rate_limit_exceeded', 15]);
    expect(err.message).toContain("usage policy 'rpm'");
    expect(err.headers['x-ratelimit-remaining-requests']).toBe('0');
    expect(events).toEqual(['limited rpm requests']);
    advance(14_500);
    expect(await attempt(limiter, p, caller('user:c'))).not.toBeInstanceOf(Error);
  });

  it('per: subject gives each caller its own counter; shared one for all', async () => {
    const { limiter } = setup();
    const per = [policy({ name: 'per', per: 'subject', limits: { requestsPerMinute: 1, tokenCount: 'total' } })];
    expect(await attempt(limiter, per, caller('user:a'))).not.toBeInstanceOf(Error);
    expect(await attempt(limiter, per, caller('user:b'))).not.toBeInstanceOf(Error);
    expect(await attempt(limiter, per, caller('user:a'))).toBeInstanceOf(LimitExceededError);
    const shared = [policy({ name: 'shared', limits: { requestsPerMinute: 1, tokenCount: 'total' } })];
    expect(await attempt(limiter, shared, caller('user:a'))).not.toBeInstanceOf(Error);
    expect(await attempt(limiter, shared, caller('user:b'))).toBeInstanceOf(LimitExceededError);
  });

  it('reserves estimated tokens, admits while room is left, and settles to the real usage', async () => {
    const { limiter, store } = setup();
    const pol = policy({ name: 'tpm', limits: { tokensPerMinute: 100, tokenCount: 'total' } });
    const a = await attempt(limiter, [pol], caller('user:a'), 30, 50); // reserves 80
    expect((a as { headers: Record<string, string> }).headers['x-ratelimit-remaining-tokens']).toBe('20');
    const b = await attempt(limiter, [pol], caller('user:a'), 30, 50); // 80 < 100: admitted, reserves 160
    expect(b).not.toBeInstanceOf(Error);
    expect(await attempt(limiter, [pol], caller('user:a'))).toBeInstanceOf(LimitExceededError);
    // The real usage was small: settling frees the difference.
    (a as { settle: (u: unknown) => void }).settle({ inputTokens: 5, outputTokens: 5 });
    (b as { settle: (u: unknown) => void }).settle({ inputTokens: 5, outputTokens: 5 });
    await new Promise((r) => setImmediate(r));
    const usage = await readPolicyUsage(store, pol, Date.UTC(2026, 11, 3, 12, 0, 0));
    expect(usage).toEqual([{ limit: 'tokensPerMinute', max: 100, used: 20, resetsAt: '2026-12-03T12:01:00.000Z' }]);
    expect(await attempt(limiter, [pol], caller('user:a'))).not.toBeInstanceOf(Error);
  });

  it('stops a daily budget at its limit and resets at midnight of the policy time zone', async () => {
    // 22:59 UTC = 23:59 in Berlin (winter): the Berlin day ends in one minute.
    const { limiter, advance, store } = setup({ start: Date.UTC(2026, 11, 3, 22, 59, 0) });
    const pol = policy({
      name: 'budget',
      timeZone: 'Europe/Berlin',
      limits: { usdPerDay: 0.0001, tokenCount: 'total' },
    });
    // Each request reserves 60 tokens = 60 micro-USD; the limit is 100 micro-USD.
    expect(await attempt(limiter, [pol], caller('user:a'), 30, 30)).not.toBeInstanceOf(Error);
    expect(await attempt(limiter, [pol], caller('user:b'), 30, 30)).not.toBeInstanceOf(Error);
    const refused = await attempt(limiter, [pol], caller('user:c'), 30, 30);
    expect(refused).toBeInstanceOf(LimitExceededError);
    expect((refused as GatewayError).code).toBe('budget_exceeded');
    expect((refused as GatewayError).retryAfterSeconds).toBe(60);
    expect((refused as GatewayError).message).toContain("usage policy 'budget'");
    const usage = await readPolicyUsage(store, pol, Date.UTC(2026, 11, 3, 22, 59, 30));
    expect(usage[0]).toMatchObject({ limit: 'usdPerDay', resetsAt: '2026-12-03T23:00:00.000Z' });
    advance(60_000);
    expect(await attempt(limiter, [pol], caller('user:c'), 30, 30)).not.toBeInstanceOf(Error);
  });

  it('limits concurrent requests until they settle', async () => {
    const { limiter } = setup();
    const pol = [policy({ name: 'conc', limits: { concurrentRequests: 1, tokenCount: 'total' } })];
    const first = await attempt(limiter, pol, caller('user:a'));
    expect(await attempt(limiter, pol, caller('user:a'))).toBeInstanceOf(LimitExceededError);
    (first as { settle: (u: unknown) => void }).settle(undefined);
    await new Promise((r) => setImmediate(r));
    expect(await attempt(limiter, pol, caller('user:a'))).not.toBeInstanceOf(Error);
  });

  it('follows failureMode when the store fails: open serves, closed answers 503', async () => {
    const broken: UsageStore = {
      kind: 'redis',
      connected: false,
      admit: () => Promise.reject(new Error('connection refused')),
      settle: () => Promise.reject(new Error('connection refused')),
      scan: () => Promise.reject(new Error('connection refused')),
      close: async () => {},
    };
    const { limiter, events } = setup({ store: broken });
    const open = policy({ name: 'open', limits: { requestsPerMinute: 1, tokenCount: 'total' } });
    const closed = policy({
      name: 'closed',
      failureMode: 'closed',
      limits: { requestsPerMinute: 1, tokenCount: 'total' },
    });
    const served = await attempt(limiter, [open], caller('user:a'));
    expect((served as { headers: object }).headers).toEqual({});
    const refused = await attempt(limiter, [open, closed], caller('user:a'));
    expect([(refused as GatewayError).status, (refused as GatewayError).code]).toEqual([
      503,
      'usage_store_unavailable',
    ]);
    expect(events).toEqual(['store admit', 'store admit', 'limited closed store_unavailable']);
  });
});
