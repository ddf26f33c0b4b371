import { describe, expect, it } from 'vitest';
import {
  type CompiledModel,
  compileConfig,
  type Model,
  type ModelRoute,
  type ModelRouteSpec,
  type ProviderAccount,
  ROUTE_REASONS,
} from '../../gateway/src/config/index.js';
import { computeRouteStatus } from './route-status.js';

const NS = 'ai';
const account = (name: string): ProviderAccount => ({
  apiVersion: 'aigateway.dev/v1alpha1',
  kind: 'ProviderAccount',
  metadata: { name, namespace: NS },
  spec: { provider: 'aws-bedrock', region: 'us-east-1', auth: { type: 'default' } },
});
const model = (name: string, accountName: string, modelId: string): Model => ({
  apiVersion: 'aigateway.dev/v1alpha1',
  kind: 'Model',
  metadata: { name, namespace: NS },
  spec: { account: accountName, modelId },
});
const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const models = [
  model('east', 'a', HAIKU),
  model('west', 'b', HAIKU),
  model('titan', 'a', 'amazon.titan-embed-text-v2:0'),
  model('broken', 'missing-account', HAIKU),
];

function statusOf(spec: ModelRouteSpec, ejections?: Map<string, number>, now = 1_000_000) {
  const route: ModelRoute = {
    apiVersion: 'aigateway.dev/v1alpha1',
    kind: 'ModelRoute',
    metadata: { name: 'r', namespace: NS, generation: 4 },
    spec,
  };
  const result = compileConfig(
    { accounts: [account('a'), account('b')], models, secrets: [], modelRoutes: [route] },
    { namespace: NS },
  );
  const byName = new Map<string, CompiledModel>(result.config.models.map((m) => [m.name, m]));
  return computeRouteStatus({
    route,
    compiled: result.config.routes?.find((r) => r.name === 'r'),
    problems: result.problems.filter((p) => p.kind === 'ModelRoute' && p.name === 'r'),
    models: byName,
    ejections,
    now,
  });
}
const cond = (s: ReturnType<typeof statusOf>, type: string) => s.conditions.find((c) => c.type === type);

describe('ModelRoute status', () => {
  it('a route over two served Models is Ready 2/2, of their type', () => {
    const s = statusOf({ targets: [{ model: 'east' }, { model: 'west' }] });
    expect(s.readyTargets).toBe('2/2');
    expect(s.type).toBe('chat');
    expect(s.observedGeneration).toBe(4);
    expect(s.targets).toEqual([
      { model: 'east', servedName: 'a/east', ready: true },
      { model: 'west', servedName: 'b/west', ready: true },
    ]);
    expect(cond(s, 'Ready')).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'Served',
      message: 'served as route/r (chat) by 2 of 2 targets',
      observedGeneration: 4,
    });
    expect(cond(s, 'Accepted')).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(s.ejectedTargets).toBeUndefined();
  });

  it('a missing and an unserved target leave the route Degraded, each target saying why', () => {
    const s = statusOf({ targets: [{ model: 'east' }, { model: 'ghost' }, { model: 'broken' }] });
    expect(s.readyTargets).toBe('1/3');
    expect(s.targets.map((t) => [t.model, t.ready, t.reason])).toEqual([
      ['east', true, undefined],
      ['ghost', false, ROUTE_REASONS.unknownModel],
      ['broken', false, ROUTE_REASONS.modelNotReady],
    ]);
    expect(s.targets[1]?.message).toBe("Model 'ghost' not found in this namespace; the route skips it");
    expect(cond(s, 'Ready')).toMatchObject({
      status: 'True',
      reason: 'Degraded',
      message: 'served as route/r (chat) by 1 of 3 targets; not ready: ghost (UnknownModel), broken (ModelNotReady)',
    });
  });

  it('targets that differ in type refuse the route, naming the types', () => {
    const s = statusOf({ targets: [{ model: 'east' }, { model: 'titan' }] });
    expect(s.readyTargets).toBe('0/2');
    expect(s.type).toBeUndefined();
    for (const type of ['Ready', 'Accepted']) {
      expect(cond(s, type)).toMatchObject({ status: 'False', reason: ROUTE_REASONS.typeMismatch });
      expect(cond(s, type)?.message).toContain('targets differ in type: chat (east), embedding (titan)');
    }
    expect(s.targets.map((t) => [t.reason, t.message])).toEqual([
      [ROUTE_REASONS.typeMismatch, 'a chat model among targets of differing types'],
      [ROUTE_REASONS.typeMismatch, 'an embedding model among targets of differing types'],
    ]);
  });

  it('a route with no served target is accepted but not Ready (NoTargets)', () => {
    const s = statusOf({ targets: [{ model: 'ghost' }] });
    expect(cond(s, 'Accepted')).toMatchObject({ status: 'True' });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: ROUTE_REASONS.noTargets });
    expect(cond(s, 'Ready')?.message).toContain("Model 'ghost' not found");
    expect(s.readyTargets).toBe('0/1');
  });

  it('an invalid spec is not accepted; its targets say the route is not accepted', () => {
    const s = statusOf({ targets: [{ model: 'east', weight: 5000 }] });
    expect(cond(s, 'Accepted')).toMatchObject({ status: 'False', reason: ROUTE_REASONS.invalidSpec });
    expect(cond(s, 'Accepted')?.message).toContain('spec.targets[0].weight: must be an integer from 0 to 1000');
    expect(s.targets[0]).toMatchObject({ ready: false, reason: ROUTE_REASONS.invalidSpec });
  });

  it('counts the targets ejected now and when each ejection ends; past ejections do not count', () => {
    const now = Date.parse('2026-05-01T10:00:00Z');
    const s = statusOf(
      { targets: [{ model: 'east' }, { model: 'west' }] },
      new Map([
        ['a/east', now + 30_000],
        ['b/west', now - 1],
      ]),
      now,
    );
    expect(s.ejectedTargets).toBe(1);
    expect(s.targets[0]?.ejectedUntil).toBe('2026-05-01T10:00:30.000Z');
    expect(s.targets[1]?.ejectedUntil).toBeUndefined();
    expect(cond(s, 'Ready')?.status).toBe('True');
    expect(statusOf({ targets: [{ model: 'east' }] }, new Map()).ejectedTargets).toBe(0);
  });
});
