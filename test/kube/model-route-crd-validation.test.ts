/**
 * What a user sees from `kubectl apply` of a ModelRoute on a real kube-apiserver: a valid route is
 * accepted with its defaults filled, an invalid one is refused by the schema and CEL rules with a message
 * that says what to fix, and `kubectl get modelroutes` prints the documented columns and short names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, type KubeClient, type KubeObject, pathFor, RESOURCES } from '../../operator/src/kube/index.js';
import { type Cluster, kubeSuiteAvailability } from './harness.js';
import { sharedCluster } from './helpers.js';

const availability = kubeSuiteAvailability();
const NS = 'route-crds';

function route(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'aigateway.dev/v1alpha1', kind: 'ModelRoute', metadata: { name, namespace: NS }, spec };
}
const two = [{ model: 'claude-east' }, { model: 'claude-west' }];

describe.skipIf(!availability.run)('ModelRoute CRD on a real kube-apiserver', () => {
  let cluster: Cluster;
  let admin: KubeClient;
  beforeAll(async () => {
    cluster = await sharedCluster('model-route-crds');
    admin = await cluster.client('admin');
    await admin
      .create(pathFor(RESOURCES.namespaces), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } })
      .catch((err: unknown) => {
        if (!(err instanceof KubeApiError && err.status === 409)) throw err;
      });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const create = (obj: KubeObject) => admin.create<KubeObject>(pathFor(RESOURCES.modelroutes, NS), obj);
  async function rejection(spec: Record<string, unknown>): Promise<string> {
    try {
      await create(route('rejected', spec));
    } catch (err) {
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).status).toBe(422);
      return (err as KubeApiError).message;
    }
    throw new Error(`route ${JSON.stringify(spec)} was accepted`);
  }

  it('accepts a route over two Models, filling weight 1 and priority 0', async () => {
    const created = await create(
      route('claude', {
        targets: [{ model: 'claude-east' }, { model: 'claude-west', weight: 0, priority: 1 }],
        policy: {
          retryOn: ['throttle', '5xx'],
          maxAttempts: 2,
          ejection: { consecutiveFailures: 5, baseEjectionSeconds: 30, maxEjectionSeconds: 600 },
          promptCacheAffinity: false,
        },
      }),
    );
    expect((created.spec as { targets: unknown[] }).targets).toEqual([
      { model: 'claude-east', weight: 1, priority: 0 },
      { model: 'claude-west', weight: 0, priority: 1 },
    ]);
  });

  it('fills every policy default when the route gives none', async () => {
    const created = await create(route('defaults', { targets: [{ model: 'claude-east' }] }));
    expect(created.spec).toEqual({
      targets: [{ model: 'claude-east', weight: 1, priority: 0 }],
      policy: {
        retryOn: ['throttle', '5xx', 'timeout', 'connect'],
        ejection: { consecutiveFailures: 3, baseEjectionSeconds: 10, maxEjectionSeconds: 300 },
        promptCacheAffinity: true,
      },
    });
  });

  it('refuses a route without targets, or with too many', async () => {
    expect(await rejection({ targets: [] })).toMatch(/spec\.targets: Invalid value: .*should have at least 1 items/);
    expect(await rejection({})).toContain('spec.targets: Required value');
    const seventeen = Array.from({ length: 17 }, (_, i) => ({ model: `m${i}` }));
    expect(await rejection({ targets: seventeen })).toMatch(/spec\.targets: Too many: 17: must have at most 16 items/);
  });

  it('refuses a Model listed twice, and a route whose every target has weight 0', async () => {
    expect(await rejection({ targets: [{ model: 'a' }, { model: 'b' }, { model: 'a', weight: 5 }] })).toContain(
      'each Model may be a target of the route only once',
    );
    expect(
      await rejection({
        targets: [
          { model: 'a', weight: 0 },
          { model: 'b', weight: 0 },
        ],
      }),
    ).toContain('at least one target needs a weight above 0');
  });

  it('refuses weights, priorities and model names out of range', async () => {
    expect(await rejection({ targets: [{ model: 'a', weight: 1001 }] })).toMatch(
      /spec\.targets\[0\]\.weight: Invalid value: 1001: spec\.targets\[0\]\.weight in body should be less than or equal to 1000/,
    );
    expect(await rejection({ targets: [{ model: 'a', weight: -1 }] })).toContain(
      'spec.targets[0].weight in body should be greater than or equal to 0',
    );
    expect(await rejection({ targets: [{ model: 'a', weight: 1.5 }] })).toMatch(/spec\.targets\[0\]\.weight.*integer/);
    expect(await rejection({ targets: [{ model: 'a', priority: 101 }] })).toContain(
      'spec.targets[0].priority in body should be less than or equal to 100',
    );
    expect(await rejection({ targets: [{ model: 'demo/claude' }] })).toContain(
      'model must name a Model of this namespace (its metadata.name), not demo/claude',
    );
  });

  it('refuses unknown retryOn values, repeated ones, and maxAttempts outside 1..targets', async () => {
    expect(await rejection({ targets: two, policy: { retryOn: ['throttle', '4xx'] } })).toMatch(
      /spec\.policy\.retryOn\[1\]: Unsupported value: "4xx": supported values: "throttle", "5xx", "timeout", "connect"/,
    );
    expect(await rejection({ targets: two, policy: { retryOn: ['5xx', '5xx'] } })).toMatch(
      /spec\.policy\.retryOn\[1\]: Duplicate value: "5xx"/,
    );
    expect(await rejection({ targets: two, policy: { maxAttempts: 0 } })).toContain(
      'spec.policy.maxAttempts in body should be greater than or equal to 1',
    );
    expect(await rejection({ targets: two, policy: { maxAttempts: 3 } })).toContain(
      'policy.maxAttempts must not exceed the number of targets: each target is tried at most once per request',
    );
  });

  it('refuses an ejection whose base exceeds its max, defaults included, and bounds out of range', async () => {
    expect(
      await rejection({ targets: two, policy: { ejection: { baseEjectionSeconds: 60, maxEjectionSeconds: 30 } } }),
    ).toContain('ejection.baseEjectionSeconds must not exceed ejection.maxEjectionSeconds (defaults: 10 and 300)');
    expect(await rejection({ targets: two, policy: { ejection: { baseEjectionSeconds: 600 } } })).toContain(
      'ejection.baseEjectionSeconds must not exceed ejection.maxEjectionSeconds (defaults: 10 and 300)',
    );
    expect(await rejection({ targets: two, policy: { ejection: { consecutiveFailures: 0 } } })).toContain(
      'spec.policy.ejection.consecutiveFailures in body should be greater than or equal to 1',
    );
    expect(await rejection({ targets: two, policy: { ejection: { maxEjectionSeconds: 86401 } } })).toContain(
      'spec.policy.ejection.maxEjectionSeconds in body should be less than or equal to 86400',
    );
  });

  it('drops unknown fields under strict field validation, as kubectl apply does', async () => {
    try {
      await admin.request('POST', pathFor(RESOURCES.modelroutes, NS), {
        body: route('typo', { targets: [{ model: 'a', wieght: 2 }] }),
        query: { fieldValidation: 'Strict' },
      });
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).message).toContain('unknown field "spec.targets[0].wieght"');
    }
  });

  it('keeps status behind its subresource', async () => {
    const created = await create(route('status-kept', { targets: two }));
    const updated = await admin.mergePatch<KubeObject>(pathFor(RESOURCES.modelroutes, NS, 'status-kept'), {
      status: { readyTargets: '9/9' },
    });
    expect(updated.status).toBeUndefined();
    expect(created.metadata.name).toBe('status-kept');
  });

  it('serves printer columns Type, Targets, Ejected, Ready, Age, short names and the aigateway category', async () => {
    await create(route('columns', { targets: two }));
    await admin.mergePatch(pathFor(RESOURCES.modelroutes, NS, 'columns', 'status'), {
      status: {
        type: 'chat',
        readyTargets: '2/3',
        ejectedTargets: 1,
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Served',
            message: 'served',
            lastTransitionTime: '2026-01-01T00:00:00Z',
          },
        ],
      },
    });
    const table = await admin.request<{
      columnDefinitions: Array<{ name: string; priority: number }>;
      rows: Array<{ cells: unknown[]; object: { metadata: { name: string } } }>;
    }>('GET', pathFor(RESOURCES.modelroutes, NS), {
      headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    });
    expect(table.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual([
      'Name',
      'Type',
      'Targets',
      'Ejected',
      'Ready',
      'Age',
    ]);
    const row = table.rows.find((r) => r.object.metadata.name === 'columns');
    expect(row?.cells.slice(0, 5)).toEqual(['columns', 'chat', '2/3', 1, 'True']);
    const discovery = await admin.request<{
      resources: Array<{ name: string; shortNames?: string[]; categories?: string[] }>;
    }>('GET', '/apis/aigateway.dev/v1alpha1');
    expect(discovery.resources.find((r) => r.name === 'modelroutes')).toMatchObject({
      shortNames: ['airoute', 'mroute'],
      categories: ['aigateway'],
    });
  });
});
