/**
 * Prompt-cache affinity over three accounts. Bedrock's prompt cache lives in one account and region (the
 * emulator keys it the same way), so a route that scattered requests sharing a long cached system prompt
 * would pay a cache write in every account instead of reading one cache. Measured from what callers see
 * (`usage.prompt_tokens_details.cached_tokens`): the same workload of repeated long system prompts with
 * `cache_control` reads at least 90 % of the cached tokens through the 3-target route that it reads
 * against one account alone, and each prefix stays on one account. Requests without cache points still
 * spread by weight.
 */
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inParallel, type RouteStack, routeManifest, startRouteStack, TARGET_HEADER } from '../helpers/route-stack.js';

const SONNET = 'global.anthropic.claude-sonnet-4-5-20250929-v1:0';
/** Sonnet 4.5 caches prefixes of at least 1,024 tokens; the emulator counts four characters a token. */
const PREFIX_TOKENS = 1500;
const PREFIXES = 12;
const ROUNDS = 10;

let stack: RouteStack;
beforeAll(async () => {
  stack = await startRouteStack({
    accounts: 3,
    models: [
      { name: 'sonnet-a', account: 0, modelId: SONNET },
      { name: 'sonnet-b', account: 1, modelId: SONNET },
      { name: 'sonnet-c', account: 2, modelId: SONNET },
    ],
    manifests: routeManifest(
      'cached',
      [
        { model: 'sonnet-a', weight: 2 },
        { model: 'sonnet-b', weight: 1 },
        { model: 'sonnet-c', weight: 1 },
      ],
      { ejection: { consecutiveFailures: 100 } },
    ),
  });
});
afterAll(async () => {
  await stack?.close();
});

/** A distinct long system prompt per index. */
function systemPrompt(p: number): string {
  const head = `You are assistant number ${p}. Follow the house rules below. `;
  return head + `rule ${p} `.repeat(PREFIX_TOKENS * 4).slice(0, PREFIX_TOKENS * 4 - head.length);
}

type CachedPart = OpenAI.ChatCompletionContentPartText & { cache_control: { type: 'ephemeral' } };

/**
 * Runs the workload against `model`: ROUNDS rounds, each sending every prefix once (prefixes in parallel,
 * rounds one after another, as a fleet of agents would). Returns the cached tokens read and, per prefix,
 * the targets that answered it.
 */
async function workload(model: string): Promise<{ read: number; targets: Map<number, Set<string | null>> }> {
  const client = stack.client();
  let read = 0;
  const targets = new Map<number, Set<string | null>>();
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all(
      Array.from({ length: PREFIXES }, async (_, p) => {
        const system: CachedPart = { type: 'text', text: systemPrompt(p), cache_control: { type: 'ephemeral' } };
        const { data, response } = await client.chat.completions
          .create({
            model,
            messages: [
              { role: 'system', content: [system] },
              { role: 'user', content: `question ${round} for assistant ${p}` },
            ],
          })
          .withResponse();
        read += data.usage?.prompt_tokens_details?.cached_tokens ?? 0;
        const seen = targets.get(p) ?? new Set();
        seen.add(response.headers.get(TARGET_HEADER));
        targets.set(p, seen);
      }),
    );
  }
  return { read, targets };
}

/** The target each prefix is sent to now (one cached request per prefix). */
async function placement(): Promise<Map<number, string>> {
  const client = stack.client();
  const out = new Map<number, string>();
  await Promise.all(
    Array.from({ length: PREFIXES }, async (_, p) => {
      const system: CachedPart = { type: 'text', text: systemPrompt(p), cache_control: { type: 'ephemeral' } };
      const { response } = await client.chat.completions
        .create({
          model: 'route/cached',
          messages: [
            { role: 'system', content: [system] },
            { role: 'user', content: 'where' },
          ],
        })
        .withResponse();
      expect(response.status).toBe(200);
      out.set(p, response.headers.get(TARGET_HEADER) ?? '');
    }),
  );
  return out;
}

describe('prompt-cache affinity over three accounts', () => {
  it('reads at least 90 % of the cached tokens one account alone reads, each prefix on one account', async () => {
    // One account alone: every prefix is written once and read in every later round.
    const single = await workload('acct-a/sonnet-a');
    expect(single.read).toBe(PREFIXES * (ROUNDS - 1) * PREFIX_TOKENS);

    // Fresh caches everywhere, then the same workload through the route over three accounts.
    await stack.resetAccounts();
    const routed = await workload('route/cached');
    expect(routed.read).toBeGreaterThanOrEqual(0.9 * single.read);
    for (const [p, seen] of routed.targets) expect([p, seen.size]).toEqual([p, 1]);
    // The gateway says why: every routed request chose its target by affinity.
    expect(await stack.metric('aigw_route_decisions_total', { route: 'cached', reason: 'affinity' })).toBe(
      PREFIXES * ROUNDS,
    );

    // It is a spread, not one account doing all the work: 12 prefixes land on at least two of the three
    // accounts (all on the weight-2 one has probability (1/2)^12).
    const busy = (await Promise.all(stack.accounts.map((a) => a.calls('Converse')))).filter((n) => n > 0);
    expect(busy.length).toBeGreaterThanOrEqual(2);
  });

  it('moves only the prefixes of an account that fails, and only while it fails', async () => {
    // Where each prefix is sent while every account is healthy.
    const home = await placement();
    const [victimPrefix, victim] = [...home.entries()][0] ?? [0, ''];
    const failing = stack.accounts.find((acct) => victim.startsWith(`${acct.name}/`));
    expect(failing).toBeDefined();
    await failing?.addFaults({ type: 'throttle' });
    try {
      const during = await placement();
      // The failing account's prefixes are answered elsewhere (200, failover); every other prefix stays home.
      for (const [p, target] of during) {
        if (home.get(p) === victim) expect(target).not.toBe(victim);
        else expect(target).toBe(home.get(p));
      }
      expect(during.get(victimPrefix)).not.toBe(victim);
    } finally {
      await failing?.clearFaults();
    }
    // Healthy again (no ejection in this route): every prefix is back where its cache is.
    expect(await placement()).toEqual(home);
  });

  it('spreads requests without cache points by weight (2:1:1)', async () => {
    await stack.resetAccounts();
    const client = stack.client();
    const n = 600;
    await inParallel(n, 16, (i) =>
      client.chat.completions.create({
        model: 'route/cached',
        messages: [
          { role: 'system', content: `You are assistant number ${i % PREFIXES}.` },
          { role: 'user', content: `uncached ${i}` },
        ],
      }),
    );
    const [a, b, c] = await Promise.all(stack.accounts.map((acct) => acct.calls('Converse')));
    expect((a ?? 0) + (b ?? 0) + (c ?? 0)).toBe(n);
    // Shares 50/25/25 %; ±8 % is about four standard deviations at 600 requests.
    expect(Math.abs((a ?? 0) / n - 0.5)).toBeLessThan(0.08);
    expect(Math.abs((b ?? 0) / n - 0.25)).toBeLessThan(0.08);
    expect(Math.abs((c ?? 0) / n - 0.25)).toBeLessThan(0.08);
  });
});
