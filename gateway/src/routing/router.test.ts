import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { CompiledModelRoute, CompiledRouteTarget } from '../config/index.js';
import { fromBedrockHttpError, GatewayError } from '../errors/index.js';
import { LimitExceededError } from '../limits/index.js';
import { RouteMetrics } from '../telemetry/index.js';
import { Router, type TargetCall } from './router.js';

const throttle = () => fromBedrockHttpError({ status: 429, errorType: 'ThrottlingException', body: '{}' });
const invalid = () => fromBedrockHttpError({ status: 400, errorType: 'ValidationException', body: '{}' });

function setup(overrides: Partial<CompiledModelRoute> = {}, deadlineMs = 60_000) {
  const targets: CompiledRouteTarget[] = [
    { servedName: 'a/m', weight: 1, priority: 0 },
    { servedName: 'b/m', weight: 1, priority: 1 },
    { servedName: 'c/m', weight: 1, priority: 2 },
  ];
  const route: CompiledModelRoute = {
    servedName: 'route/r',
    name: 'r',
    type: 'chat',
    targets,
    retryOn: ['throttle', '5xx', 'timeout', 'connect'],
    maxAttempts: 3,
    ejection: { consecutiveFailures: 2, baseSeconds: 10, maxSeconds: 60 },
    promptCacheAffinity: true,
    ...overrides,
  };
  const registry = new Registry();
  const logs: Array<[object, string]> = [];
  const router = new Router({
    metrics: new RouteMetrics(registry),
    logger: { info: (o, m) => logs.push([o, m]), debug: () => {} },
    deadlineMs,
  });
  return { route, targets, router, registry, logs };
}

/** Runs one request whose calls fail with `errors[i]` for the i-th target (undefined = success). */
async function request(
  router: Router,
  route: CompiledModelRoute,
  targets: CompiledRouteTarget[],
  errors: Array<Error | undefined>,
  stream = false,
) {
  const calls: TargetCall<CompiledRouteTarget>[] = [];
  const routed = router.begin(route, targets, 'ns');
  const result = await routed
    .run({ stream, signal: new AbortController().signal }, async (call) => {
      calls.push(call);
      const error = errors[calls.length - 1];
      if (error) throw error;
      return call.target.servedName;
    })
    .catch((e: unknown) => e);
  return { result, calls, routed };
}

describe('RoutedRequest.run', () => {
  it('fails over in plan order, one upstream attempt per target except the last', async () => {
    const { route, targets, router } = setup();
    const { result, calls, routed } = await request(router, route, targets, [throttle(), throttle()], true);
    expect(result).toBe('c/m');
    expect(calls.map((c) => [c.target.servedName, c.reason])).toEqual([
      ['a/m', 'weight'],
      ['b/m', 'failover'],
      ['c/m', 'failover'],
    ]);
    expect(calls[0]!.limits).toMatchObject({ maxAttempts: 1, attemptTimeoutMs: 60_000 });
    // The last target keeps the client's own retries and timeout, under the one shared deadline.
    expect(calls[2]!.limits.maxAttempts).toBeUndefined();
    expect(calls[2]!.limits.attemptTimeoutMs).toBeUndefined();
    expect(calls[2]!.limits.deadlineAt).toBe(calls[0]!.limits.deadlineAt);
    expect(routed.attributes()).toEqual({
      'aigw.route': 'r',
      'aigw.route.target': 'c/m',
      'aigw.route.reason': 'failover',
      'aigw.route.attempts': 3,
    });
  });

  it('does not give non-streaming calls a shorter attempt timeout (long generations are not cut off)', async () => {
    const { route, targets, router } = setup();
    const { calls } = await request(router, route, targets, [throttle()]);
    expect(calls[0]!.limits.attemptTimeoutMs).toBeUndefined();
  });

  it('returns the error of a failure outside retryOn, or a validation error, without trying another target', async () => {
    const { route, targets, router } = setup({ retryOn: ['5xx'] });
    const throttled = await request(router, route, targets, [throttle()]);
    expect(throttled.calls).toHaveLength(1);
    expect((throttled.result as GatewayError).code).toBe('rate_limit_exceeded');
    const wrong = await request(router, route, targets, [invalid()]);
    expect(wrong.calls).toHaveLength(1);
    expect((wrong.result as GatewayError).code).toBe('invalid_request');
  });

  it('skips a target the caller’s own limits refuse without holding it against the target', async () => {
    const { route, targets, router } = setup();
    const limited = new LimitExceededError('rate_limit_exceeded', 'over', {
      retryAfterSeconds: 1,
      headers: {},
      policy: 'p',
      reason: 'requests',
    });
    for (let i = 0; i < 3; i++) {
      const { result } = await request(router, route, targets, [limited]);
      expect(result).toBe('b/m');
    }
    expect(router.balancer.health('r', 'a/m')).toBeUndefined();
    // Refused everywhere: the caller gets the limit's 429.
    const all = await request(router, route, targets, [limited, limited, limited]);
    expect(all.result).toBe(limited);
  });

  it('stops at the deadline with the last error', async () => {
    const { route, targets, router } = setup({}, 0);
    const { result, calls } = await request(router, route, targets, [throttle(), throttle()]);
    expect(calls).toHaveLength(1);
    expect(result).toBeInstanceOf(GatewayError);
  });

  it('counts decisions, failovers and ejections, and logs ejections at info', async () => {
    const { route, targets, router, registry, logs } = setup();
    await request(router, route, targets, [throttle()]);
    await request(router, route, targets, [throttle()]);
    const metrics = await registry.metrics();
    expect(metrics).toContain('aigw_route_decisions_total{route="r",target="a/m",reason="weight"} 2');
    expect(metrics).toContain('aigw_route_decisions_total{route="r",target="b/m",reason="failover"} 2');
    expect(metrics).toContain('aigw_route_failovers_total{route="r",from="a/m",reason="throttle"} 2');
    expect(metrics).toContain('aigw_route_ejections_total{route="r",target="a/m"} 1');
    expect(logs).toEqual([
      [
        expect.objectContaining({ route: 'r', target: 'a/m', seconds: 10, ejections: 1, reason: 'throttle' }),
        'route target ejected',
      ],
    ]);
    const { calls } = await request(router, route, targets, []);
    expect(calls[0]!.target.servedName).toBe('b/m');
  });
});
