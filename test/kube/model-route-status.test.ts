/**
 * What `kubectl get modelroutes` shows on a real kube-apiserver, with the operator running and a real
 * redis-server as the shared store: a route over two Models is published and Ready 2/2; a route mixing
 * chat and embedding Models is refused with the reason and the types in status (and an Event); deleting a
 * target Model moves readyTargets; targets a gateway replica ejected (written to the store under the
 * documented key) show as `ejectedTargets` and each target's `ejectedUntil`.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompiledConfig, type Condition, routeEjectionKey } from '../../gateway/src/config/index.js';
import { type RunningOperator, runOperator } from '../../operator/src/index.js';
import { type KubeClient, type KubeObject, pathFor, RESOURCES } from '../../operator/src/kube/index.js';
import { type RunningRedis, redisAvailability, startRedis } from '../helpers/redis.js';
import { type Cluster, kubeSuiteAvailability } from './harness.js';
import { cond, sharedCluster, within } from './helpers.js';

const availability = kubeSuiteAvailability();
const redisAvailable = redisAvailability();
const NS = 'routes';

type RouteObject = KubeObject & {
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    type?: string;
    readyTargets?: string;
    ejectedTargets?: number;
    targets?: Array<{
      model: string;
      servedName?: string;
      ready: boolean;
      reason?: string;
      message?: string;
      ejectedUntil?: string;
    }>;
  };
};
type EventObject = KubeObject & {
  reason: string;
  type: string;
  note?: string;
  regarding: { name: string; kind: string };
};

describe.skipIf(!availability.run || !redisAvailable.run)('ModelRoute status', () => {
  let cluster: Cluster;
  let admin: KubeClient;
  let redis: RunningRedis;
  let operator: RunningOperator | undefined;

  const route = (name: string) => admin.get<RouteObject>(pathFor(RESOURCES.modelroutes, NS, name));
  const published = async () => {
    const cm = await admin.get<KubeObject & { data: Record<string, string> }>(
      pathFor(RESOURCES.configmaps, NS, 'aigateway-config'),
    );
    return JSON.parse(cm.data['config.json'] as string) as CompiledConfig;
  };

  beforeAll(async () => {
    redis = await startRedis();
    cluster = await sharedCluster('routes');
    admin = await cluster.client('admin');
    await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata: { name: ${NS} }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: east, namespace: ${NS} }
spec: { region: us-east-1, auth: { type: default } }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: west, namespace: ${NS} }
spec: { region: us-west-2, auth: { type: default } }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: claude-east, namespace: ${NS} }
spec: { account: east, modelId: anthropic.claude-3-haiku-20240307-v1:0 }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: claude-west, namespace: ${NS} }
spec: { account: west, modelId: anthropic.claude-3-haiku-20240307-v1:0 }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: titan, namespace: ${NS} }
spec: { account: east, modelId: amazon.titan-embed-text-v2:0 }
---
apiVersion: aigateway.dev/v1alpha1
kind: ModelRoute
metadata: { name: claude, namespace: ${NS} }
spec:
  targets:
    - { model: claude-east, weight: 3 }
    - { model: claude-west, priority: 1 }
---
apiVersion: aigateway.dev/v1alpha1
kind: ModelRoute
metadata: { name: mixed, namespace: ${NS} }
spec:
  targets: [{ model: claude-east }, { model: titan }]
`);
    operator = await runOperator({
      kubeConfig: cluster.kubeConfig('admin'),
      namespace: NS,
      identity: `routes-${Date.now()}`,
      leaderElection: false,
      credentialChecks: false,
      redisUrl: redis.url,
      usageIntervalMs: 300,
    });
  });
  afterAll(async () => {
    await operator?.stop();
    await cluster?.stop();
    await redis?.stop();
  });

  it('publishes a route over two Models and shows it Ready 2/2, of type chat, in the printed columns', async () => {
    const r = await within(20_000, 'claude Ready', async () => {
      const x = await route('claude');
      // Ejected shows once the operator has read the shared store (at once after the first compile).
      return cond(x, 'Ready')?.status === 'True' && x.status?.readyTargets === '2/2' && x.status.ejectedTargets === 0
        ? x
        : undefined;
    });
    expect(r.status?.type).toBe('chat');
    expect(cond(r, 'Ready')).toMatchObject({
      reason: 'Served',
      message: 'served as route/claude (chat) by 2 of 2 targets',
    });
    expect(cond(r, 'Accepted')).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(r.status?.targets).toEqual([
      { model: 'claude-east', servedName: 'east/claude-east', ready: true },
      { model: 'claude-west', servedName: 'west/claude-west', ready: true },
    ]);
    const config = await published();
    expect(config.routes?.map((x) => [x.servedName, x.targets])).toEqual([
      [
        'route/claude',
        [
          { servedName: 'east/claude-east', weight: 3, priority: 0 },
          { servedName: 'west/claude-west', weight: 1, priority: 1 },
        ],
      ],
    ]);
    const table = await admin.request<{
      columnDefinitions: Array<{ name: string; priority: number }>;
      rows: Array<{ cells: unknown[]; object: { metadata: { name: string } } }>;
    }>('GET', pathFor(RESOURCES.modelroutes, NS), {
      headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
    });
    const row = table.rows.find((x) => x.object.metadata.name === 'claude');
    // Name, Type, Targets, Ejected (0 with a shared store), Ready.
    expect(row?.cells.slice(0, 5)).toEqual(['claude', 'chat', '2/2', 0, 'True']);
  });

  it('refuses a route mixing chat and embedding Models, naming the types, and records why', async () => {
    const r = await within(20_000, 'mixed refused', async () => {
      const x = await route('mixed');
      return cond(x, 'Ready')?.status === 'False' ? x : undefined;
    });
    for (const type of ['Ready', 'Accepted']) {
      expect(cond(r, type)).toMatchObject({ status: 'False', reason: 'TypeMismatch' });
      expect(cond(r, type)?.message).toContain('targets differ in type: chat (claude-east), embedding (titan)');
    }
    expect(r.status?.readyTargets).toBe('0/2');
    expect(r.status?.type).toBeUndefined();
    expect(r.status?.targets?.map((t) => [t.model, t.ready, t.reason])).toEqual([
      ['claude-east', false, 'TypeMismatch'],
      ['titan', false, 'TypeMismatch'],
    ]);
    expect((await published()).routes?.map((x) => x.name)).toEqual(['claude']);
    const event = await within(10_000, 'TypeMismatch event', async () =>
      (await admin.list<EventObject>(pathFor(RESOURCES.events, NS))).items.find(
        (e) => e.regarding.kind === 'ModelRoute' && e.regarding.name === 'mixed' && e.reason === 'TypeMismatch',
      ),
    );
    expect(event.type).toBe('Warning');
    expect(event.note).toContain('embedding (titan)');
    // One Event per transition: Ready's, not a second one for Accepted saying the same.
    const reasons = (await admin.list<EventObject>(pathFor(RESOURCES.events, NS))).items
      .filter((e) => e.regarding.kind === 'ModelRoute' && e.regarding.name === 'mixed')
      .map((e) => e.reason);
    expect(reasons).toEqual(['TypeMismatch']);
  });

  it('shows the targets a gateway ejected in the shared store, until the ejection ends', async () => {
    const client = new Redis(redis.url);
    try {
      const until = Date.now() + 60_000;
      await client.hset(routeEjectionKey(NS, 'claude'), 'west/claude-west', String(until));
      const r = await within(10_000, 'ejection shown', async () => {
        const x = await route('claude');
        return x.status?.ejectedTargets === 1 ? x : undefined;
      });
      expect(r.status?.targets?.find((t) => t.model === 'claude-west')?.ejectedUntil).toBe(
        new Date(until).toISOString(),
      );
      expect(r.status?.targets?.find((t) => t.model === 'claude-east')?.ejectedUntil).toBeUndefined();
      // An ejected target is still a ready target: the route stays served by both.
      expect(r.status?.readyTargets).toBe('2/2');
      await client.hset(routeEjectionKey(NS, 'claude'), 'west/claude-west', String(Date.now() - 1));
      await within(10_000, 'ejection over', async () => (await route('claude')).status?.ejectedTargets === 0);
    } finally {
      client.disconnect();
    }
  });

  it('an operator restart rewrites no route status and records no Event', async () => {
    const before = await route('claude');
    const events = async () =>
      (await admin.list<EventObject>(pathFor(RESOURCES.events, NS))).items.filter(
        (e) => e.regarding.kind === 'ModelRoute',
      ).length;
    const eventsBefore = await events();
    await operator?.stop();
    operator = await runOperator({
      kubeConfig: cluster.kubeConfig('admin'),
      namespace: NS,
      identity: `routes-again-${Date.now()}`,
      leaderElection: false,
      credentialChecks: false,
      redisUrl: redis.url,
      usageIntervalMs: 300,
    });
    await new Promise<void>((resolve) => operator?.events.once('reconciled', () => resolve()));
    // Several ejection refreshes later.
    await new Promise((r) => setTimeout(r, 1500));
    const after = await route('claude');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(await events()).toBe(eventsBefore);
  });

  it('deleting a target Model moves readyTargets to 1/2, and the target says why', async () => {
    await admin.delete(pathFor(RESOURCES.models, NS, 'claude-west'));
    const r = await within(20_000, 'claude 1/2', async () => {
      const x = await route('claude');
      return x.status?.readyTargets === '1/2' ? x : undefined;
    });
    expect(cond(r, 'Ready')).toMatchObject({ status: 'True', reason: 'Degraded' });
    await within(10_000, 'Degraded event', async () =>
      (await admin.list<EventObject>(pathFor(RESOURCES.events, NS))).items.some(
        (e) => e.regarding.name === 'claude' && e.reason === 'Degraded' && e.type === 'Normal',
      ),
    );
    expect(cond(r, 'Ready')?.message).toContain('not ready: claude-west (UnknownModel)');
    expect(r.status?.targets?.[1]).toMatchObject({ model: 'claude-west', ready: false, reason: 'UnknownModel' });
    expect((await published()).routes?.[0]?.targets.map((t) => t.servedName)).toEqual(['east/claude-east']);
    // Deleting the last one takes the route out of the config: not Ready, NoTargets.
    await admin.delete(pathFor(RESOURCES.models, NS, 'claude-east'));
    const gone = await within(20_000, 'claude NoTargets', async () => {
      const x = await route('claude');
      return cond(x, 'Ready')?.status === 'False' ? x : undefined;
    });
    expect(cond(gone, 'Ready')?.reason).toBe('NoTargets');
    expect(gone.status?.readyTargets).toBe('0/2');
    // The mixed route lost its chat target with it: titan alone is one type, so it is served now.
    expect((await published()).routes?.map((x) => [x.name, x.type])).toEqual([['mixed', 'embedding']]);
    const mixed = await within(20_000, 'mixed served', async () => {
      const x = await route('mixed');
      return cond(x, 'Ready')?.status === 'True' ? x : undefined;
    });
    expect(cond(mixed, 'Accepted')?.status).toBe('True');
    expect(mixed.status?.readyTargets).toBe('1/2');
  });
});
