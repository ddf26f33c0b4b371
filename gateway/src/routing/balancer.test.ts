import { describe, expect, it } from 'vitest';
import type { CompiledModelRoute, CompiledRouteTarget } from '../config/index.js';
import { type AffinityKey, affinityKey } from './affinity.js';
import { type EjectionEvent, RouteBalancer } from './balancer.js';

/** mulberry32: a small seeded generator, so weight tests are exact and repeatable. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function target(servedName: string, weight = 1, priority = 0): CompiledRouteTarget {
  return { servedName, weight, priority };
}

function routeOf(targets: CompiledRouteTarget[], overrides: Partial<CompiledModelRoute> = {}): CompiledModelRoute {
  return {
    servedName: 'route/claude',
    name: 'claude',
    type: 'chat',
    targets,
    retryOn: ['throttle', '5xx', 'timeout', 'connect'],
    maxAttempts: targets.length,
    ejection: { consecutiveFailures: 3, baseSeconds: 10, maxSeconds: 60 },
    promptCacheAffinity: true,
    ...overrides,
  };
}

function clock(start = 1_700_000_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

function countFirst(balancer: RouteBalancer, route: CompiledModelRoute, n: number, key?: (i: number) => AffinityKey) {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const first = balancer.plan(route, route.targets, key?.(i))[0]!;
    counts.set(first.target.servedName, (counts.get(first.target.servedName) ?? 0) + 1);
  }
  return counts;
}

describe('weighted spread', () => {
  it('keeps weights within a few percent over 10,000 choices', () => {
    const route = routeOf([target('a/m', 1), target('b/m', 3), target('c/m', 6)]);
    const balancer = new RouteBalancer({ random: seeded(42) });
    const counts = countFirst(balancer, route, 10_000);
    expect((counts.get('a/m') ?? 0) / 10_000).toBeCloseTo(0.1, 1);
    expect(Math.abs((counts.get('a/m') ?? 0) / 10_000 - 0.1)).toBeLessThan(0.02);
    expect(Math.abs((counts.get('b/m') ?? 0) / 10_000 - 0.3)).toBeLessThan(0.02);
    expect(Math.abs((counts.get('c/m') ?? 0) / 10_000 - 0.6)).toBeLessThan(0.02);
  });

  it('never picks a weight-0 target first while a weighted one is healthy, but fails over to it', () => {
    const route = routeOf([target('a/m', 1), target('z/m', 0)]);
    const balancer = new RouteBalancer({ random: seeded(1) });
    for (let i = 0; i < 200; i++) {
      const plan = balancer.plan(route, route.targets);
      expect(plan.map((p) => p.target.servedName)).toEqual(['a/m', 'z/m']);
      expect(plan.map((p) => p.reason)).toEqual(['weight', 'failover']);
    }
  });

  it('shares equally among targets that all have weight 0', () => {
    const route = routeOf([target('a/m', 0), target('b/m', 0)]);
    const counts = countFirst(new RouteBalancer({ random: seeded(7) }), route, 2000);
    expect(Math.abs((counts.get('a/m') ?? 0) / 2000 - 0.5)).toBeLessThan(0.05);
  });
});

describe('priorities and the attempt plan', () => {
  it('uses the next priority only when no target of the best one is healthy', () => {
    const c = clock();
    const route = routeOf([target('a/m', 1, 0), target('b/m', 1, 0), target('c/m', 1, 1)], {
      ejection: { consecutiveFailures: 1, baseSeconds: 10, maxSeconds: 60 },
    });
    const balancer = new RouteBalancer({ random: seeded(3), now: c.now });
    for (let i = 0; i < 50; i++) {
      const plan = balancer.plan(route, route.targets);
      expect(plan[0]!.target.priority).toBe(0);
      // Same priority first, then the next priority.
      expect(plan[1]!.target.priority).toBe(0);
      expect(plan[2]!.target.servedName).toBe('c/m');
    }
    balancer.failed(route, 'a/m', 'throttle');
    expect(balancer.plan(route, route.targets).map((p) => p.target.servedName)).toEqual(['b/m', 'c/m']);
    balancer.failed(route, 'b/m', '5xx');
    const plan = balancer.plan(route, route.targets);
    expect(plan.map((p) => [p.target.servedName, p.reason])).toEqual([['c/m', 'weight']]);
  });

  it('caps the plan at maxAttempts', () => {
    const route = routeOf([target('a/m'), target('b/m'), target('c/m')], { maxAttempts: 2 });
    expect(new RouteBalancer({ random: seeded(9) }).plan(route, route.targets)).toHaveLength(2);
  });

  it('only plans the targets it is given (the caller may use)', () => {
    const route = routeOf([target('a/m'), target('b/m')]);
    const plan = new RouteBalancer().plan(route, [route.targets[1]!]);
    expect(plan.map((p) => p.target.servedName)).toEqual(['b/m']);
  });

  it('tries ejected targets anyway when nothing else is left, the earliest end first', () => {
    const c = clock();
    const route = routeOf([target('a/m'), target('b/m')], {
      ejection: { consecutiveFailures: 1, baseSeconds: 10, maxSeconds: 60 },
    });
    const balancer = new RouteBalancer({ now: c.now });
    balancer.failed(route, 'b/m', 'connect');
    c.t += 1000;
    balancer.failed(route, 'a/m', 'connect');
    const plan = balancer.plan(route, route.targets);
    expect(plan.map((p) => [p.target.servedName, p.reason])).toEqual([
      ['b/m', 'ejected'],
      ['a/m', 'failover'],
    ]);
  });
});

describe('outlier ejection', () => {
  it('ejects after consecutive failures, doubles the back-off up to the max, probes once, and a success resets', () => {
    const c = clock();
    const events: EjectionEvent[] = [];
    const restored: string[] = [];
    const route = routeOf([target('a/m', 1, 0), target('b/m', 1, 1)]);
    const balancer = new RouteBalancer({
      now: c.now,
      onEject: (e) => events.push(e),
      onRestore: (e) => restored.push(e.target),
    });
    const first = () => balancer.plan(route, route.targets)[0]!;

    // Two failures: still in rotation; a success in between resets the count.
    balancer.failed(route, 'a/m', 'throttle');
    balancer.failed(route, 'a/m', 'throttle');
    balancer.succeeded(route, 'a/m');
    balancer.failed(route, 'a/m', 'throttle');
    balancer.failed(route, 'a/m', 'throttle');
    expect(first().target.servedName).toBe('a/m');
    balancer.failed(route, 'a/m', 'throttle');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ route: 'claude', target: 'a/m', seconds: 10, ejections: 1, reason: 'throttle' });
    expect(first().target.servedName).toBe('b/m');

    // Back-off: 10 s, then 20, 40, capped at 60.
    const expected = [20, 40, 60, 60];
    for (const seconds of expected) {
      c.t = balancer.health('claude', 'a/m')!.ejectedUntil - 1;
      expect(first().target.servedName).toBe('b/m');
      c.t += 1;
      const probe = first();
      expect([probe.target.servedName, probe.reason]).toEqual(['a/m', 'probe']);
      // Only one probe at a time: the next request goes elsewhere.
      expect(first().target.servedName).toBe('b/m');
      balancer.failed(route, 'a/m', '5xx');
      expect(events.at(-1)!.seconds).toBe(seconds);
    }
    c.t = balancer.health('claude', 'a/m')!.ejectedUntil;
    expect(first().reason).toBe('probe');
    balancer.succeeded(route, 'a/m');
    expect(restored).toEqual(['a/m']);
    expect(balancer.health('claude', 'a/m')).toEqual({ failures: 0, ejections: 0, ejectedUntil: 0, probeSince: 0 });
    // Healthy again: the back-off starts over.
    for (let i = 0; i < 3; i++) balancer.failed(route, 'a/m', 'timeout');
    expect(events.at(-1)!.seconds).toBe(10);
  });

  it('does not extend an ejection for requests that were already in flight, nor restore on their success', () => {
    const c = clock();
    const events: EjectionEvent[] = [];
    const route = routeOf([target('a/m'), target('b/m')], {
      ejection: { consecutiveFailures: 1, baseSeconds: 10, maxSeconds: 60 },
    });
    const balancer = new RouteBalancer({ now: c.now, onEject: (e) => events.push(e) });
    balancer.failed(route, 'a/m', 'throttle');
    balancer.failed(route, 'a/m', 'throttle');
    balancer.succeeded(route, 'a/m');
    expect(events).toHaveLength(1);
    expect(balancer.health('claude', 'a/m')!.ejectedUntil).toBe(c.t + 10_000);
  });

  it('frees the probe slot when the probe ends without a verdict, and after the probe timeout', () => {
    const c = clock();
    const route = routeOf([target('a/m', 1, 0), target('b/m', 1, 1)], {
      ejection: { consecutiveFailures: 1, baseSeconds: 10, maxSeconds: 60 },
    });
    const balancer = new RouteBalancer({ now: c.now, probeTimeoutMs: 5000 });
    balancer.failed(route, 'a/m', 'connect');
    c.t += 10_000;
    expect(balancer.plan(route, route.targets)[0]!.reason).toBe('probe');
    expect(balancer.plan(route, route.targets)[0]!.target.servedName).toBe('b/m');
    balancer.released(route, 'a/m');
    expect(balancer.plan(route, route.targets)[0]!.reason).toBe('probe');
    c.t += 5000;
    expect(balancer.plan(route, route.targets)[0]!.reason).toBe('probe');
  });
});

describe('affinity by rendezvous hashing', () => {
  const keys = Array.from({ length: 3000 }, (_, i) => ({ hi: (i * 2654435761) >>> 0, lo: (i * 40503 + 7) >>> 0 }));

  it('sends the same key to the same target every time', () => {
    const route = routeOf([target('a/m'), target('b/m'), target('c/m')]);
    const balancer = new RouteBalancer({ random: seeded(5) });
    for (const key of keys.slice(0, 100)) {
      const first = balancer.plan(route, route.targets, key)[0]!;
      expect(first.reason).toBe('affinity');
      for (let i = 0; i < 5; i++) expect(balancer.plan(route, route.targets, key)[0]!.target).toBe(first.target);
    }
  });

  it('spreads keys by weight', () => {
    const route = routeOf([target('a/m', 1), target('b/m', 2), target('c/m', 1)]);
    const counts = countFirst(new RouteBalancer(), route, keys.length, (i) => keys[i]!);
    expect(Math.abs((counts.get('b/m') ?? 0) / keys.length - 0.5)).toBeLessThan(0.04);
    expect(Math.abs((counts.get('a/m') ?? 0) / keys.length - 0.25)).toBeLessThan(0.04);
  });

  it('moves only the keys of a removed or ejected target', () => {
    const route = routeOf([target('a/m'), target('b/m'), target('c/m')], {
      ejection: { consecutiveFailures: 1, baseSeconds: 10, maxSeconds: 60 },
    });
    const balancer = new RouteBalancer();
    const before = keys.map((k) => balancer.plan(route, route.targets, k)[0]!.target.servedName);
    const without = route.targets.filter((t) => t.servedName !== 'b/m');
    const removed = keys.map((k) => balancer.plan(route, without, k)[0]!.target.servedName);
    balancer.failed(route, 'b/m', '5xx');
    const ejected = keys.map((k) => balancer.plan(route, route.targets, k)[0]!.target.servedName);
    let moved = 0;
    for (let i = 0; i < keys.length; i++) {
      if (before[i] !== 'b/m') {
        expect(removed[i]).toBe(before[i]);
        expect(ejected[i]).toBe(before[i]);
      } else {
        moved++;
        expect(removed[i]).not.toBe('b/m');
        expect(ejected[i]).toBe(removed[i]);
      }
    }
    expect(moved).toBeGreaterThan(keys.length / 5);
    // The failover order of a key is its rendezvous order: the second choice is where it moves.
    const k = keys[before.indexOf('b/m')]!;
    const fresh = new RouteBalancer();
    expect(fresh.plan(route, route.targets, k)[1]!.target.servedName).toBe(
      fresh.plan(route, without, k)[0]!.target.servedName,
    );
  });

  it('spreads real prefix keys (same length, different text) evenly over equal targets', () => {
    const route = routeOf([target('a/m'), target('b/m'), target('c/m')]);
    const balancer = new RouteBalancer();
    const counts = countFirst(
      balancer,
      route,
      3000,
      (i) =>
        affinityKey({
          system: [
            { text: `Tenant ${String(i).padStart(5, '0')}: you answer questions about invoices.` },
            { cachePoint: {} },
          ],
          messages: [{ role: 'user', content: [{ text: 'hi' }] }],
        })!,
    );
    for (const name of ['a/m', 'b/m', 'c/m'])
      expect(Math.abs((counts.get(name) ?? 0) / 3000 - 1 / 3)).toBeLessThan(0.04);
  });
});
