/**
 * Outlier ejection: an account that keeps failing is taken out of the route (its requests stop reaching
 * it, the ejection metric counts it), probed again when its back-off ends, and back in the spread once a
 * probe succeeds. Callers see 200 throughout. The back-off is set small (1 s, at most 2 s); nothing here
 * asserts a time: each step polls for its condition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  inParallel,
  type RouteStack,
  routeManifest,
  startRouteStack,
  TARGET_HEADER,
} from '../helpers/route-stack.js';

const NOVA = 'amazon.nova-lite-v1:0';
const EJECTION = { consecutiveFailures: 3, baseEjectionSeconds: 1, maxEjectionSeconds: 2 };

let stack: RouteStack;
beforeAll(async () => {
  stack = await startRouteStack({
    accounts: 2,
    models: [
      { name: 'nova-a', account: 0, modelId: NOVA },
      { name: 'nova-b', account: 1, modelId: NOVA },
    ],
    manifests: [
      routeManifest('flaky', [{ model: 'nova-a' }, { model: 'nova-b' }], { ejection: EJECTION }),
      routeManifest(
        'tiers',
        [
          { model: 'nova-a', priority: 0 },
          { model: 'nova-b', priority: 1 },
        ],
        { ejection: EJECTION },
      ),
    ].join('---\n'),
  });
});
afterAll(async () => {
  await stack?.close();
});

let serial = 0;
async function ask(route = 'flaky'): Promise<string | null> {
  const text = `call ${++serial}`;
  const { data, response } = await stack
    .client()
    .chat.completions.create({ model: `route/${route}`, messages: [{ role: 'user', content: text }] })
    .withResponse();
  expect(response.status).toBe(200);
  expect(data.choices[0]?.message.content).toBe(`Echo: ${text}`);
  return response.headers.get(TARGET_HEADER);
}

const ejections = () => stack.metric('aigw_route_ejections_total', { route: 'flaky', target: 'acct-a/nova-a' });

describe('a target that keeps failing', () => {
  it('is ejected, probed while it still fails, and restored once it answers', async () => {
    const [a, b] = stack.accounts as [RouteStack['accounts'][number], RouteStack['accounts'][number]];
    // Healthy: both accounts take traffic.
    const healthy = await inParallel(40, 4, () => ask());
    expect(healthy).toContain('acct-a/nova-a');
    expect(healthy).toContain('acct-b/nova-b');
    expect(await ejections()).toBe(0);

    // A answers 500 to everything: callers still get 200 (from B) while A collects failures until ejected.
    await a.addFaults({ type: 'error', status: 500, model: NOVA });
    await eventually(async () => {
      expect(await ask()).toBe('acct-b/nova-b');
      return (await ejections()) >= 1;
    }, 'account A to be ejected');

    // Ejected: a burst of requests goes to B. A sees at most the odd probe (one per ended back-off of 1 to
    // 2 s, however slow the machine), not its half of the traffic.
    const aBefore = await a.calls('Converse');
    const bBefore = await b.calls('Converse');
    const burst = await inParallel(60, 6, () => ask());
    expect(burst.every((t) => t === 'acct-b/nova-b')).toBe(true);
    expect(await b.calls('Converse')).toBe(bBefore + 60);
    expect((await a.calls('Converse')) - aBefore).toBeLessThanOrEqual(6);

    // Still failing when the back-off ends: the probe fails and A is ejected again.
    await eventually(async () => {
      await ask();
      return (await ejections()) >= 2;
    }, 'a failed probe to eject account A again');
    expect(
      await stack.metric('aigw_route_decisions_total', { route: 'flaky', target: 'acct-a/nova-a', reason: 'probe' }),
    ).toBeGreaterThanOrEqual(1);

    // A recovers: a later probe succeeds and A is back in the spread.
    await a.clearFaults();
    await eventually(async () => (await ask()) === 'acct-a/nova-a', 'account A to serve a request again');
    const after = await inParallel(40, 4, () => ask());
    expect(after.filter((t) => t === 'acct-a/nova-a').length).toBeGreaterThan(5);
    expect(after.filter((t) => t === 'acct-b/nova-b').length).toBeGreaterThan(5);
  });

  it('when the only target of the first priority is ejected, the next priority takes the traffic as first choice', async () => {
    const [a] = stack.accounts as [RouteStack['accounts'][number]];
    const decisions = (target: string, reason: string) =>
      stack.metric('aigw_route_decisions_total', { route: 'tiers', target, reason });
    expect(await ask('tiers')).toBe('acct-a/nova-a');
    await a.addFaults({ type: 'throttle', model: NOVA });
    try {
      await eventually(async () => {
        expect(await ask('tiers')).toBe('acct-b/nova-b');
        return (await stack.metric('aigw_route_ejections_total', { route: 'tiers', target: 'acct-a/nova-a' })) >= 1;
      }, 'account A to be ejected from route/tiers');
      // While A is out, B is the first choice (by weight, no failed attempt on A first).
      const weighted = await decisions('acct-b/nova-b', 'weight');
      const aCalls = await a.calls('Converse');
      const burst = await inParallel(20, 4, () => ask('tiers'));
      expect(burst.every((t) => t === 'acct-b/nova-b')).toBe(true);
      // At most the odd probe of A (each failing over to B), not the whole burst.
      const probes = (await a.calls('Converse')) - aCalls;
      expect(probes).toBeLessThanOrEqual(4);
      expect(await decisions('acct-b/nova-b', 'weight')).toBeGreaterThanOrEqual(weighted + 20 - probes);
    } finally {
      await a.clearFaults();
    }
    // Back to priority 0 once a probe succeeds.
    await eventually(async () => (await ask('tiers')) === 'acct-a/nova-a', 'account A to take route/tiers back');
  });
});
