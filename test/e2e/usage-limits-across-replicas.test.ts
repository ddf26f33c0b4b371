/**
 * UsagePolicy enforcement by two `aigw serve` processes sharing one real redis-server: exact request
 * limits across replicas, token limits under concurrent streams, a team's daily budget and its reset,
 * per-subject versus shared limits, the store going away (failureMode open and closed) and coming back,
 * and a policy's mandatory guardrail. The limiter's clock is shifted (AIGW_LIMITS_CLOCK_OFFSET_MS) so
 * windows start and end when the test needs them to.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator/src/index.js';
import { type ConfigDir, makeConfigDir, NOVA_LITE } from '../helpers/config-dir.js';
import { type RunningRedis, redisAvailability, startRedis } from '../helpers/redis.js';
import { type ChildGateway, ensureBuilt, spawnGateway } from '../helpers/stack.js';

const availability = redisAvailability();

const USERS = {
  rpmA: ['user:rpm-a', 'demo,rpm'],
  rpmB: ['user:rpm-b', 'demo,rpm'],
  puA: ['user:pu-a', 'demo,peruser'],
  puB: ['user:pu-b', 'demo,peruser'],
  tok: ['user:tok', 'demo,tok'],
  budA: ['user:bud-a', 'demo,budget'],
  budB: ['user:bud-b', 'demo,budget'],
  closed: ['user:closed', 'demo'],
  open: ['user:open', 'demo'],
  guard: ['user:guard', 'demo'],
  img: ['user:img', 'demo,img'],
} as const;
type User = keyof typeof USERS;
const tokenOf = (user: User) => `sk-test-${user}-0123456789`;

const keysYaml = Object.entries(USERS)
  .map(
    ([user, [subject, teams]]) => `apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: key-${user.toLowerCase()}, namespace: default }
stringData: { token: ${tokenOf(user as User)}, subject: "${subject}", teams: "${teams}" }
`,
  )
  .join('---\n');

const PRICEY = 'demo/pricey';
const policiesYaml = `apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: pricey, namespace: default }
spec:
  account: demo
  modelId: amazon.nova-lite-v1:0
  # 1 cent per token, so a budget of 1 USD lasts a handful of requests.
  pricing: { inputPerMillionTokens: 10000, outputPerMillionTokens: 10000 }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: pricey-image, namespace: default }
spec:
  account: demo
  modelId: stability.stable-image-core-v1:1
  region: us-west-2
  pricing: { perImage: 0.1 }
---
apiVersion: aigateway.dev/v1alpha1
kind: UsagePolicy
metadata: { name: image-budget, namespace: default }
spec:
  subjects: ["team:img"]
  models: [pricey-image]
  limits: { requestsPerMinute: 100, concurrentRequests: 5, usdPerDay: 0.25 }
---
apiVersion: aigateway.dev/v1alpha1
kind: UsagePolicy
metadata: { name: team-rpm, namespace: default }
spec:
  subjects: ["team:rpm"]
  per: shared
  models: [amazon-nova-lite-v1-0]
  limits: { requestsPerMinute: 60 }
---
apiVersion: aigateway.dev/v1alpha1
kind: UsagePolicy
metadata: { name: per-user-rpm, namespace: default }
spec:
  subjects: ["team:peruser"]
  per: subject
  limits: { requestsPerMinute: 3 }
---
apiVersion: aigateway.dev/v1alpha1
kind: UsagePolicy
metadata: { name: stream-tokens, namespace: default }
spec:
  subjects: ["team:tok"]
  limits: { tokensPerMinute: 300, tokenCount: output }
---
apiVersion: aigateway.dev/v1alpha1
kind: UsagePolicy
metadata: { name: team-budget, namespace: default }
spec:
  subjects: ["team:budget"]
  per: shared
  models: [pricey]
  limits: { usdPerDay: 1 }
---
apiVersion: aigateway.dev/v1alpha1
kind: UsagePolicy
metadata: { name: strict, namespace: default }
spec:
  subjects: ["user:closed"]
  failureMode: closed
  limits: { requestsPerMinute: 1000 }
---
apiVersion: aigateway.dev/v1alpha1
kind: UsagePolicy
metadata: { name: lenient, namespace: default }
spec:
  subjects: ["user:open"]
  limits: { requestsPerMinute: 1000 }
---
apiVersion: aigateway.dev/v1alpha1
kind: UsagePolicy
metadata: { name: guarded, namespace: default }
spec:
  subjects: ["user:guard"]
  guardrail: { guardrailIdentifier: gr0example1, guardrailVersion: "3" }
`;

let emulator: RunningEmulator;
let config: ConfigDir;
let redis: RunningRedis;
const children: ChildGateway[] = [];

beforeAll(async () => {
  if (!availability.run) return;
  ensureBuilt();
  emulator = await startEmulator({ port: 0 });
  redis = await startRedis();
  config = await makeConfigDir({
    emulatorUrl: emulator.url,
    extraFiles: { 'usage-keys.yaml': keysYaml, 'usage-policies.yaml': policiesYaml },
  });
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await emulator?.close();
  await redis?.stop();
  await config?.remove();
});

/** Two replicas sharing the store, their limiter clocks shifted by `offsetMs`. */
async function replicas(offsetMs: number, count = 2): Promise<ChildGateway[]> {
  const started = await Promise.all(
    Array.from({ length: count }, () =>
      spawnGateway(['--config', config.dir, '--redis-url', redis.url], {
        AIGW_LIMITS_CLOCK_OFFSET_MS: String(offsetMs),
        // This machine may be busy; a slow answer must not count as the store being down here.
        AIGW_LIMITS_STORE_TIMEOUT_MS: '5000',
      }),
    ),
  );
  children.push(...started);
  return started;
}

const client = (gw: ChildGateway, user: User) =>
  new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: tokenOf(user), maxRetries: 0, timeout: 20_000 });

async function chat(gw: ChildGateway, user: User, model = NOVA_LITE, extra: Record<string, unknown> = {}) {
  try {
    const { data, response } = await client(gw, user)
      .chat.completions.create({ model, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], ...extra })
      .withResponse();
    return { ok: true as const, data, headers: response.headers };
  } catch (err) {
    if (err instanceof OpenAI.APIError) return { ok: false as const, error: err, headers: err.headers };
    throw err;
  }
}

/** An offset that puts the limiter clock at the start of a minute (ten minutes ahead, so never one used before). */
function offsetToMinuteStart(): number {
  const now = Date.now();
  return (Math.floor(now / 60_000) + 10) * 60_000 - now;
}

describe.skipIf(!availability.run)('usage limits on two replicas sharing redis', () => {
  it('a 60 rpm shared limit admits exactly 60 requests per minute across both replicas', async () => {
    const offset = offsetToMinuteStart();
    const [a, b] = (await replicas(offset)) as [ChildGateway, ChildGateway];
    const minute = Math.floor((Date.now() + offset) / 60_000);
    const results = await Promise.all(
      Array.from({ length: 90 }, (_, i) => chat(i % 2 ? a : b, i % 3 ? 'rpmA' : 'rpmB')),
    );
    // Still inside the same limiter minute, or the count would span two windows.
    expect(Math.floor((Date.now() + offset) / 60_000)).toBe(minute);
    const ok = results.filter((r) => r.ok);
    const limited = results.filter((r) => !r.ok);
    expect(ok).toHaveLength(60);
    expect(limited).toHaveLength(30);
    for (const r of limited) {
      expect(r.error?.status).toBe(429);
      expect(r.error?.code).toBe('rate_limit_exceeded');
      expect(r.error?.message).toContain("'team-rpm'");
      expect(Number(r.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(r.headers?.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(r.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    }
    for (const r of ok) {
      expect(r.headers.get('x-ratelimit-limit-requests')).toBe('60');
      expect(r.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+ms|\d+s|1m0s)$/);
    }
    const remaining = ok.map((r) => Number(r.headers.get('x-ratelimit-remaining-requests'))).sort((x, y) => x - y);
    // Each admission saw a distinct count: 59, 58, ..., 0 (atomic across replicas).
    expect(remaining).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // A model the policy does not name is not limited and carries no rate-limit headers.
    const other = await chat(a, 'rpmA', 'demo/amazon-nova-pro-v1-0');
    expect(other.ok).toBe(true);
    expect(other.headers?.get('x-ratelimit-limit-requests')).toBeNull();
    const metrics = await (await fetch(`${a.adminUrl}/metrics`)).text();
    const metricsB = await (await fetch(`${b.adminUrl}/metrics`)).text();
    // Every decision came from the store (none served on failureMode: open).
    expect(a.output() + b.output()).not.toContain('usage store unreachable');
    const limitedCount = (text: string) =>
      Number(/aigw_limited_requests_total\{policy="team-rpm",reason="requests"\} (\d+)/.exec(text)?.[1] ?? 0);
    expect(limitedCount(metrics) + limitedCount(metricsB)).toBe(30);
  });

  it('per: subject gives each member its own limit; per: shared one limit for the group', async () => {
    const [a, b] = (await replicas(offsetToMinuteStart())) as [ChildGateway, ChildGateway];
    const first = await Promise.all(Array.from({ length: 5 }, (_, i) => chat(i % 2 ? a : b, 'puA')));
    expect(first.filter((r) => r.ok)).toHaveLength(3);
    const second = await Promise.all(Array.from({ length: 5 }, (_, i) => chat(i % 2 ? a : b, 'puB')));
    expect(second.filter((r) => r.ok)).toHaveLength(3);
    const refused = second.find((r) => !r.ok);
    expect(refused?.error?.message).toContain("'per-user-rpm'");
    // Embeddings count against the same limit.
    const embedding = await client(a, 'puA')
      .embeddings.create({ model: 'demo/amazon-titan-embed-text-v2-0', input: 'hello' })
      .then(
        () => undefined,
        (err: unknown) => err as InstanceType<typeof OpenAI.APIError>,
      );
    expect(embedding?.status).toBe(429);
    expect(embedding?.code).toBe('rate_limit_exceeded');
  });

  it('a tokens-per-minute limit holds under concurrent streams (overshoot at most one request)', async () => {
    const [a, b] = (await replicas(offsetToMinuteStart())) as [ChildGateway, ChildGateway];
    const words = Array.from({ length: 120 }, (_, i) => `w${i}`).join(' ');
    const MAX = 60;
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        try {
          const { data: stream, response } = await client(i % 2 ? a : b, 'tok')
            .chat.completions.create({
              model: NOVA_LITE,
              stream: true,
              stream_options: { include_usage: true },
              max_tokens: MAX,
              messages: [{ role: 'user', content: words }],
            })
            .withResponse();
          let output = 0;
          for await (const chunk of stream) if (chunk.usage) output = chunk.usage.completion_tokens;
          return { ok: true as const, output, limit: response.headers.get('x-ratelimit-limit-tokens') };
        } catch (err) {
          if (err instanceof OpenAI.APIError) return { ok: false as const, error: err };
          throw err;
        }
      }),
    );
    const ok = outcomes.filter((o) => o.ok);
    const refused = outcomes.filter((o) => !o.ok);
    expect(ok.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    const total = ok.reduce((sum, o) => sum + (o.ok ? o.output : 0), 0);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(300 + MAX);
    for (const o of ok) expect(o.ok && o.limit).toBe('300');
    for (const o of refused) {
      expect(o.error?.status).toBe(429);
      expect(o.error?.code).toBe('rate_limit_exceeded');
      expect(o.error?.message).toContain('tokens per minute');
      expect(o.error?.headers.get('x-ratelimit-limit-tokens')).toBe('300');
    }
  });

  it("a daily budget stops the whole team at its limit and resets at the time zone's midnight", async () => {
    // Limiter clock: 30 s before a UTC midnight (room for slow process starts), then wait until it is 10 s before it.
    const now = Date.now();
    const midnight = (Math.floor(now / 86_400_000) + 3) * 86_400_000;
    const offset = midnight - 30_000 - now;
    const [a, b] = (await replicas(offset)) as [ChildGateway, ChildGateway];
    while (Date.now() + offset < midnight - 10_000) await new Promise((r) => setTimeout(r, 100));
    let spentUsd = 0;
    let refusal: Awaited<ReturnType<typeof chat>> | undefined;
    for (let i = 0; i < 60 && !refusal; i++) {
      const r = await chat(i % 2 ? a : b, i % 2 ? 'budA' : 'budB', PRICEY);
      if (r.ok) spentUsd += ((r.data.usage?.prompt_tokens ?? 0) + (r.data.usage?.completion_tokens ?? 0)) * 0.01;
      else {
        // Refused while reservations were still open: once the calls settle at their real (lower) cost
        // there may be budget left, so spend on until a refusal stands with everything settled.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const again = await chat(i % 2 ? b : a, i % 2 ? 'budB' : 'budA', PRICEY);
        if (again.ok)
          spentUsd += ((again.data.usage?.prompt_tokens ?? 0) + (again.data.usage?.completion_tokens ?? 0)) * 0.01;
        else refusal = again;
      }
    }
    expect(Date.now() + offset).toBeLessThan(midnight); // the whole spend happened on one day
    expect(refusal?.error?.status).toBe(429);
    expect(refusal?.error?.code).toBe('budget_exceeded');
    expect(refusal?.error?.message).toContain("'team-budget'");
    expect(Number(refusal?.headers?.get('retry-after'))).toBeLessThanOrEqual(10);
    // At the limit, overshooting by at most one request's cost (here well under 1 USD).
    expect(spentUsd).toBeGreaterThanOrEqual(0.5);
    expect(spentUsd).toBeLessThan(1.5);
    // Both members share the team's budget.
    const other = await chat(b, 'budA', PRICEY);
    const another = await chat(a, 'budB', PRICEY);
    expect([other.ok, another.ok]).toEqual([false, false]);
    // Other models are not covered by the policy.
    expect((await chat(a, 'budA')).ok).toBe(true);
    // After midnight (limiter clock) the new day's budget admits again.
    while (Date.now() + offset < midnight + 200) await new Promise((r) => setTimeout(r, 100));
    const next = await chat(a, 'budA', PRICEY);
    expect(next.ok).toBe(true);
  }, 90_000);

  it('the Images API counts requests and prices images against the budget, across replicas', async () => {
    const [a, b] = (await replicas(offsetToMinuteStart())) as [ChildGateway, ChildGateway];
    const generate = async (gw: ChildGateway) => {
      try {
        const { data, response } = await client(gw, 'img')
          .images.generate({ model: 'demo/pricey-image', prompt: 'a lighthouse' })
          .withResponse();
        return { ok: true as const, data, headers: response.headers };
      } catch (err) {
        if (err instanceof OpenAI.APIError) return { ok: false as const, error: err, headers: err.headers };
        throw err;
      }
    };
    // 0.10 USD an image against 0.25 USD a day: the third image is admitted with 0.05 USD left (any room
    // admits; overshoot is at most one request), the fourth is refused, on either replica.
    const results = [];
    for (const gw of [a, b, a, b, a]) {
      results.push(await generate(gw));
      // Let the settlement land, so the next admission sees real spend.
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false, false]);
    const first = results[0]!;
    expect(first.ok && first.data.data?.[0]?.b64_json).toBeTruthy();
    expect(first.headers?.get('x-ratelimit-limit-requests')).toBe('100');
    expect(first.headers?.get('x-ratelimit-remaining-requests')).toBe('99');
    const refused = results[3]!;
    expect(refused.ok ? undefined : refused.error.status).toBe(429);
    expect(refused.ok ? undefined : refused.error.code).toBe('budget_exceeded');
    expect(refused.ok ? '' : refused.error.message).toContain("'image-budget'");
  }, 60_000);

  it('store unreachable: failureMode closed answers 503, open serves; both recover when it returns', async () => {
    const [a] = (await replicas(0, 1)) as [ChildGateway];
    expect((await chat(a, 'closed')).ok).toBe(true);
    await redis.stop();
    // The store's socket closes with the process, but the gateway may read the next request before it
    // reads that close; a request in that moment may still be admitted from a reservation made ahead
    // (a real one, made while the store was up). From when the gateway sees the store gone, it refuses.
    let closed = await chat(a, 'closed');
    const deadline = Date.now() + 5_000;
    while (closed.ok && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      closed = await chat(a, 'closed');
    }
    expect(closed.ok).toBe(false);
    expect(closed.error?.status).toBe(503);
    expect(closed.error?.code).toBe('usage_store_unavailable');
    expect(closed.error?.message).toContain("'strict'");
    const open = await chat(a, 'open');
    expect(open.ok).toBe(true);
    expect(open.headers?.get('x-ratelimit-limit-requests')).toBeNull();
    const metrics = await (await fetch(`${a.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/aigw_usage_store_failures_total\{operation="admit"\} [1-9]/);
    expect(metrics).toMatch(/aigw_limited_requests_total\{policy="strict",reason="store_unavailable"\} 1/);
    expect(a.output()).toContain('usage store unreachable');
    expect(a.output()).not.toContain(redis.url);

    await redis.start();
    await expect
      .poll(async () => (await chat(a, 'closed')).headers?.get('x-ratelimit-limit-requests'), {
        timeout: 15_000,
        interval: 200,
      })
      .toBe('1000');
  });

  it("attaches a policy's guardrail to every matching chat request and refuses the caller's own", async () => {
    const [a] = (await replicas(0, 1)) as [ChildGateway];
    const before = emulator.state.stats.guardrails['gr0example1:3'] ?? 0;
    const plain = await chat(a, 'guard');
    expect(plain.ok).toBe(true);
    expect(emulator.state.stats.guardrails['gr0example1:3']).toBe(before + 1);
    // Not for callers the policy does not name.
    await chat(a, 'open');
    expect(emulator.state.stats.guardrails['gr0example1:3']).toBe(before + 1);

    const own = await chat(a, 'guard', NOVA_LITE, {
      bedrock: { guardrailConfig: { guardrailIdentifier: 'mine', guardrailVersion: '1' } },
    });
    expect(own.ok).toBe(false);
    expect(own.error?.status).toBe(400);
    expect(own.error?.param).toBe('bedrock.guardrailConfig');
    expect(own.error?.message).toContain("'guarded'");

    const blocked = await chat(a, 'guard', NOVA_LITE, {
      messages: [{ role: 'user', content: 'bad [[stop:guardrail_intervened]]' }],
    });
    expect(blocked.ok && blocked.data.choices[0]?.finish_reason).toBe('content_filter');
    const metrics = await (await fetch(`${a.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/aigw_guardrail_interventions_total\{policy="guarded"\} 1/);
  });
});
