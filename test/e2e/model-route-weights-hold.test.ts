/**
 * Weighted spread: a route over two Bedrock accounts (two emulator processes) with weights 3:1 sends
 * three quarters of 1,000 requests to the first account, within a few percent, counted three ways: by each
 * account's own request counter, by the target the gateway names in `x-aigateway-target`, and by the
 * route-decision metric. Each request is billed (requests, tokens, cost) to the account that served it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  inParallel,
  type RouteStack,
  routeManifest,
  startRouteStack,
  sumSamples,
  TARGET_HEADER,
} from '../helpers/route-stack.js';

const NOVA = 'amazon.nova-lite-v1:0';
const REQUESTS = 1000;

/** The routes; `standbyWeight` is the weight of account B in route/standby. */
function routes(standbyWeight: number): string {
  return [
    routeManifest('spread', [
      { model: 'nova-a', weight: 3 },
      { model: 'nova-b', weight: 1 },
    ]),
    routeManifest('standby', [
      { model: 'nova-a', weight: 1 },
      { model: 'nova-b', weight: standbyWeight },
    ]),
  ].join('---\n');
}

let stack: RouteStack;
beforeAll(async () => {
  stack = await startRouteStack({
    accounts: 2,
    models: [
      { name: 'nova-a', account: 0, modelId: NOVA },
      { name: 'nova-b', account: 1, modelId: NOVA },
    ],
    manifests: routes(0),
  });
});
afterAll(async () => {
  await stack?.close();
});

describe('weights over two accounts', () => {
  it('hold within a few percent over 1,000 requests, and each account is billed for what it served', async () => {
    const client = stack.client();
    const served = await inParallel(REQUESTS, 16, async (i) => {
      const { data, response } = await client.chat.completions
        .create({ model: 'route/spread', messages: [{ role: 'user', content: `request ${i}` }] })
        .withResponse();
      expect(response.status).toBe(200);
      expect(data.model).toBe('route/spread');
      expect(data.choices[0]?.message.content).toBe(`Echo: request ${i}`);
      return { target: response.headers.get(TARGET_HEADER), usage: data.usage };
    });

    // What each account saw: its own emulator's count of Converse calls.
    const [a, b] = await Promise.all(stack.accounts.map((acct) => acct.calls('Converse')));
    expect((a ?? 0) + (b ?? 0)).toBe(REQUESTS);
    const share = (a ?? 0) / REQUESTS;
    // 3:1 is 75 %; the standard deviation of the share over 1,000 draws is 1.4 %, so ±6 % (over four
    // standard deviations) fails only a broken spread.
    expect(share).toBeGreaterThan(0.69);
    expect(share).toBeLessThan(0.81);

    // What the gateway says it did agrees with what the accounts saw, request for request.
    const byHeader = new Map<string | null, number>();
    for (const s of served) byHeader.set(s.target, (byHeader.get(s.target) ?? 0) + 1);
    expect(Object.fromEntries(byHeader)).toEqual({ 'acct-a/nova-a': a, 'acct-b/nova-b': b });
    const metrics = await stack.metrics();
    expect(
      sumSamples(metrics, 'aigw_route_decisions_total', { route: 'spread', target: 'acct-a/nova-a', reason: 'weight' }),
    ).toBe(a);
    expect(
      sumSamples(metrics, 'aigw_route_decisions_total', { route: 'spread', target: 'acct-b/nova-b', reason: 'weight' }),
    ).toBe(b);

    // Requests, tokens and cost go to the account actually called.
    for (const [account, model, count] of [
      ['acct-a', 'nova-a', a],
      ['acct-b', 'nova-b', b],
    ] as const) {
      const inputTokens = served
        .filter((s) => s.target === `${account}/${model}`)
        .reduce((sum, s) => sum + (s.usage?.prompt_tokens ?? 0), 0);
      expect(sumSamples(metrics, 'aigw_requests_total', { account, model, status: '200' })).toBe(count);
      expect(sumSamples(metrics, 'aigw_tokens_total', { account, model, kind: 'input' })).toBe(inputTokens);
      expect(sumSamples(metrics, 'aigw_cost_usd_total', { account, model })).toBeGreaterThan(0);
    }
  });

  it('weight 0: a standby account takes no traffic until the weighted one fails', async () => {
    const [a, b] = stack.accounts as [RouteStack['accounts'][number], RouteStack['accounts'][number]];
    const client = stack.client();
    const ask = async (text: string) => {
      const { response } = await client.chat.completions
        .create({ model: 'route/standby', messages: [{ role: 'user', content: text }] })
        .withResponse();
      return response.headers.get(TARGET_HEADER);
    };
    const bBefore = await b.calls('Converse');
    const normal = await inParallel(50, 8, (i) => ask(`standby ${i}`));
    expect(new Set(normal)).toEqual(new Set(['acct-a/nova-a']));
    expect(await b.calls('Converse')).toBe(bBefore);

    await a.addFaults({ type: 'error', status: 503, count: 1 });
    expect(await ask('a fails once')).toBe('acct-b/nova-b');
    expect(await b.calls('Converse')).toBe(bBefore + 1);
  });

  it('follow an edit of the manifest without a restart', async () => {
    const [a, b] = stack.accounts as [RouteStack['accounts'][number], RouteStack['accounts'][number]];
    await writeFile(join(stack.dir, 'routes.yaml'), routes(1000));
    // 1000:1 towards B once the edit is in service.
    await eventually(async () => {
      const { response } = await stack
        .client()
        .chat.completions.create({ model: 'route/standby', messages: [{ role: 'user', content: 'after the edit' }] })
        .withResponse();
      return response.headers.get(TARGET_HEADER) === 'acct-b/nova-b';
    }, 'the edited weights to take effect');
    const [aBefore, bBefore] = [await a.calls('Converse'), await b.calls('Converse')];
    await inParallel(40, 8, (i) =>
      stack
        .client()
        .chat.completions.create({ model: 'route/standby', messages: [{ role: 'user', content: `edited ${i}` }] }),
    );
    // A keeps a 1-in-1001 share: 40 requests all but never reach it.
    expect((await b.calls('Converse')) - bBefore).toBeGreaterThanOrEqual(38);
    expect((await a.calls('Converse')) - aBefore).toBeLessThanOrEqual(2);
  });
});
