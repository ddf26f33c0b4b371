/**
 * The operator against a real API server: what a platform team sees after `kubectl apply` —
 * compiled config and credentials published, conditions and Events on every object, deletes
 * propagated, restarts that change nothing, exactly one active replica, and watches that survive
 * timeouts and 410 Gone.
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledConfig, CompiledCredentials, Condition } from '../../gateway/src/config/index.js';
import { ListWatch, type RunningOperator, runOperator } from '../../operator/src/index.js';
import { type KubeClient, type KubeObject, pathFor, RESOURCES } from '../../operator/src/kube/index.js';
import { type Cluster, kubeSuiteAvailability, startCluster } from './harness.js';
import { until } from './helpers.js';

const availability = kubeSuiteAvailability();
const NS = 'ai';
const spans = new InMemorySpanExporter();
const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer('test');

type WithStatus = KubeObject & {
  status?: { conditions?: Condition[]; models?: number; resolvedRegion?: string; family?: string; type?: string };
};

function condition(obj: WithStatus | undefined, type: string): Condition | undefined {
  return obj?.status?.conditions?.find((c) => c.type === type);
}

describe.skipIf(!availability.run)('operator on a real kube-apiserver', () => {
  let cluster: Cluster;
  let admin: KubeClient;
  let operator: RunningOperator | undefined;

  const start = (extra: Parameters<typeof runOperator>[0] = {}) =>
    runOperator({
      kubeConfig: cluster.kubeConfig('admin'),
      namespace: NS,
      leaderElection: false,
      credentialChecks: false,
      logger: { info() {}, warn: (f, m) => console.log('WARN', m, JSON.stringify(f)), error() {} },
      tracer,
      ...extra,
    });

  async function compiled(): Promise<{
    config: CompiledConfig;
    credentials: CompiledCredentials;
    cm: KubeObject;
    secret: KubeObject;
  }> {
    const cm = await admin.get<KubeObject & { data: Record<string, string> }>(
      pathFor(RESOURCES.configmaps, NS, 'aigateway-config'),
    );
    const secret = await admin.get<KubeObject & { data: Record<string, string> }>(
      pathFor(RESOURCES.secrets, NS, 'aigateway-credentials'),
    );
    return {
      config: JSON.parse(cm.data['config.json'] ?? '{}') as CompiledConfig,
      credentials: JSON.parse(
        Buffer.from(secret.data['credentials.json'] ?? '', 'base64').toString('utf8'),
      ) as CompiledCredentials,
      cm,
      secret,
    };
  }
  const getModel = (name: string) => admin.get<WithStatus>(pathFor(RESOURCES.models, NS, name));
  const getAccount = (name: string) => admin.get<WithStatus>(pathFor(RESOURCES.provideraccounts, NS, name));

  beforeAll(async () => {
    // Its own cluster: --all-namespaces mode must see no other suite's namespaces.
    cluster = await startCluster({ name: 'operator' });
    admin = await cluster.client('admin');
    await cluster.apply([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'le' } },
    ]);
    await cluster.apply(`
apiVersion: v1
kind: Secret
metadata: { name: aws-keys, namespace: ${NS} }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: alice-key, namespace: ${NS} }
stringData: { token: sk-alice-0123456789abcdef, subject: "user:alice@example.com", teams: "ml-platform" }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: bedrock, namespace: ${NS} }
spec:
  region: us-east-1
  auth: { type: accessKey, accessKey: { secretRef: { name: aws-keys } } }
  collaborators: [ { subject: "team:ml-platform", role: User } ]
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: claude-haiku, namespace: ${NS} }
spec: { account: bedrock, modelId: "anthropic.claude-3-haiku-20240307-v1:0" }
---
apiVersion: v1
kind: Pod
metadata: { name: gateway-0, namespace: ${NS}, labels: { aigateway.dev/gateway: aigateway } }
spec: { containers: [ { name: gateway, image: aigateway:test } ] }
`);
    operator = await start();
  });
  afterAll(async () => {
    await operator?.stop();
    await cluster?.stop();
  });

  it('publishes the compiled config and credentials with a shared revision, and api keys as hashes only', async () => {
    const out = await until('model in compiled config', async () => {
      const c = await compiled().catch(() => undefined);
      return c?.config.models.some((m) => m.servedName === 'bedrock/claude-haiku') ? c : undefined;
    });
    expect(out.config.revision).toBe(out.credentials.revision);
    expect(out.config.models[0]).toMatchObject({
      servedName: 'bedrock/claude-haiku',
      region: 'us-east-1',
      type: 'chat',
      family: 'anthropic',
    });
    expect(out.credentials.accounts.bedrock).toEqual({
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    });
    expect(out.config.apiKeys).toEqual([
      expect.objectContaining({ subject: 'user:alice@example.com', teams: ['ml-platform'], source: `${NS}/alice-key` }),
    ]);
    const configText = JSON.stringify(out.cm);
    expect(configText).not.toContain('sk-alice-0123456789abcdef');
    expect(configText).not.toContain('wJalrXUtnFEMI');
    for (const obj of [out.cm, out.secret]) {
      expect(obj.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'aigateway-operator',
        'aigateway.dev/revision': out.config.revision,
      });
      expect(obj.metadata.annotations?.['aigateway.dev/config-revision']).toBe(out.config.revision);
    }
    const managers =
      (out.cm.metadata as { managedFields?: Array<{ manager: string; operation: string }> }).managedFields ?? [];
    expect(managers).toContainEqual(expect.objectContaining({ manager: 'aigateway-operator', operation: 'Apply' }));
  });

  it('sets Ready on accounts and models, with resolved region, family and type', async () => {
    const model = await until('model Ready', async () => {
      const m = await getModel('claude-haiku');
      return condition(m, 'Ready')?.status === 'True' ? m : undefined;
    });
    expect(condition(model, 'Ready')).toMatchObject({
      reason: 'Served',
      observedGeneration: model.metadata.generation,
    });
    expect(model.status).toMatchObject({ resolvedRegion: 'us-east-1', family: 'anthropic', type: 'chat' });
    const account = await until('account Ready', async () => {
      const a = await getAccount('bedrock');
      return condition(a, 'Ready')?.status === 'True' && a.status?.models === 1 ? a : undefined;
    });
    expect(condition(account, 'CredentialsReady')).toBeDefined();
  });

  it('says why a model is not served', async () => {
    await cluster.apply(`
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: orphan, namespace: ${NS} }
spec: { account: no-such-account, modelId: "amazon.nova-pro-v1:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: wrong-geo, namespace: ${NS} }
spec: { account: bedrock, modelId: "eu.amazon.nova-pro-v1:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: wrong-type, namespace: ${NS} }
spec: { account: bedrock, modelId: "amazon.titan-embed-text-v2:0", type: chat }
`);
    const expectations = {
      orphan: ['AccountMissing', "ProviderAccount 'no-such-account' not found"],
      'wrong-geo': ['RegionUnsupported', 'us-east-1'],
      'wrong-type': ['InvalidModelId', 'embedding'],
    } as const;
    for (const [name, [reason, text]] of Object.entries(expectations)) {
      const ready = await until(`${name} not ready`, async () => {
        const c = condition(await getModel(name), 'Ready');
        return c?.status === 'False' ? c : undefined;
      });
      expect(ready.reason).toBe(reason);
      expect(ready.message).toContain(text);
    }
    const { config } = await compiled();
    expect(config.models.map((m) => m.servedName)).toEqual(['bedrock/claude-haiku']);
  });

  it('records Kubernetes Events on condition transitions', async () => {
    const events = await until('events', async () => {
      const list = await admin.list<KubeObject & { reason: string; type: string; regarding: { name: string } }>(
        pathFor(RESOURCES.events, NS),
      );
      return list.items.some((e) => e.regarding.name === 'orphan') ? list.items : undefined;
    });
    expect(events).toContainEqual(
      expect.objectContaining({
        reason: 'AccountMissing',
        type: 'Warning',
        regarding: expect.objectContaining({ name: 'orphan', kind: 'Model' }),
      }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        reason: 'Served',
        type: 'Normal',
        regarding: expect.objectContaining({ name: 'claude-haiku' }),
      }),
    );
  });

  it('annotates gateway pods with the new revision so kubelet refreshes the volume', async () => {
    const { config } = await compiled();
    const pod = await until('pod annotated', async () => {
      const p = await admin.get<KubeObject>(pathFor(RESOURCES.pods, NS, 'gateway-0'));
      return p.metadata.annotations?.['aigateway.dev/config-revision'] === config.revision ? p : undefined;
    });
    expect(pod.metadata.annotations?.['aigateway.dev/config-revision']).toBe(config.revision);
  });

  it('traces each reconcile as one span linked to the watch event of the change that caused it', async () => {
    await cluster.apply(`
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: traced-model, namespace: ${NS} }
spec: { account: bedrock, modelId: "amazon.nova-lite-v1:0" }
`);
    const published = await until('the new model published', async () => {
      const c = await compiled();
      return c.config.models.some((m) => m.servedName === 'bedrock/traced-model') ? c : undefined;
    });
    const reconcile = await until('a reconcile span linked to the change', async () => {
      const all = spans.getFinishedSpans();
      const watch = all.find((s) => s.name === 'watch Model' && s.attributes['aigw.k8s.name'] === 'traced-model');
      if (!watch) return undefined;
      return all.find(
        (s) =>
          s.name === 'reconcile' &&
          s.attributes['aigw.config.revision'] === published.config.revision &&
          s.links.some((l) => l.context.spanId === watch.spanContext().spanId),
      );
    });
    expect(reconcile.attributes).toMatchObject({ 'k8s.namespace.name': NS });
    expect(reconcile.attributes['aigw.reconcile.trigger']).toContain('change');
    expect(Number(reconcile.attributes['aigw.reconcile.models'])).toBeGreaterThan(0);
    const watch = spans
      .getFinishedSpans()
      .find((s) => s.name === 'watch Model' && s.attributes['aigw.k8s.name'] === 'traced-model')!;
    expect(watch.attributes).toMatchObject({ 'aigw.k8s.event': 'ADDED', 'k8s.namespace.name': NS });
    expect(watch.attributes['aigw.k8s.resource_version']).toMatch(/^\d+$/);
    await admin.delete(pathFor(RESOURCES.models, NS, 'traced-model'));
    await until('the model unpublished again', async () =>
      (await compiled()).config.models.every((m) => m.servedName !== 'bedrock/traced-model'),
    );
  });

  it('follows a rotated Secret and an edited Model: new revision, new credentials, observedGeneration moves', async () => {
    const before = await compiled();
    await cluster.apply(`
apiVersion: v1
kind: Secret
metadata: { name: aws-keys, namespace: ${NS} }
stringData: { AWS_ACCESS_KEY_ID: AKIAROTATEDEXAMPLE01, AWS_SECRET_ACCESS_KEY: rotated-secret }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: claude-haiku, namespace: ${NS} }
spec: { account: bedrock, modelId: "anthropic.claude-3-haiku-20240307-v1:0", region: us-west-2 }
`);
    const after = await until('new revision', async () => {
      const c = await compiled();
      return c.credentials.accounts.bedrock?.accessKeyId === 'AKIAROTATEDEXAMPLE01' &&
        c.config.models.some((m) => m.servedName === 'bedrock/claude-haiku' && m.region === 'us-west-2')
        ? c
        : undefined;
    });
    expect(after.config.revision).not.toBe(before.config.revision);
    expect(after.credentials.revision).toBe(after.config.revision);
    const model = await until('status follows the edit', async () => {
      const m = await getModel('claude-haiku');
      return m.status?.resolvedRegion === 'us-west-2' ? m : undefined;
    });
    expect(condition(model, 'Ready')?.observedGeneration).toBe(model.metadata.generation);
    expect(model.metadata.generation).toBeGreaterThan(1);
    await until('pod nudged again', async () => {
      const p = await admin.get<KubeObject>(pathFor(RESOURCES.pods, NS, 'gateway-0'));
      return p.metadata.annotations?.['aigateway.dev/config-revision'] === after.config.revision;
    });
  });

  it('changes nothing when restarted', async () => {
    // Let the previous changes settle.
    await new Promise((r) => setTimeout(r, 1500));
    const snapshot = async () => {
      const paths = [
        pathFor(RESOURCES.configmaps, NS, 'aigateway-config'),
        pathFor(RESOURCES.secrets, NS, 'aigateway-credentials'),
        pathFor(RESOURCES.provideraccounts, NS, 'bedrock'),
        ...['claude-haiku', 'orphan', 'wrong-geo', 'wrong-type'].map((m) => pathFor(RESOURCES.models, NS, m)),
      ];
      return Promise.all(paths.map(async (p) => (await admin.get<KubeObject>(p)).metadata.resourceVersion));
    };
    const before = await snapshot();
    await operator?.stop();
    operator = await start();
    await new Promise<void>((resolve) => operator?.events.once('reconciled', () => resolve()));
    await new Promise((r) => setTimeout(r, 1000));
    expect(await snapshot()).toEqual(before);
  });

  it('flips models to not ready and unpublishes them when their account is deleted', async () => {
    await admin.delete(pathFor(RESOURCES.provideraccounts, NS, 'bedrock'));
    const ready = await until('claude-haiku AccountMissing', async () => {
      const c = condition(await getModel('claude-haiku'), 'Ready');
      return c?.reason === 'AccountMissing' ? c : undefined;
    });
    expect(ready.status).toBe('False');
    const { config, credentials } = await compiled();
    expect(config.models).toEqual([]);
    expect(credentials.accounts).toEqual({});
  });

  it('owns its outputs by the gateway Deployment when there is one', async () => {
    const [deployment] = await cluster.apply(`
apiVersion: apps/v1
kind: Deployment
metadata: { name: aigateway-gateway, namespace: ${NS} }
spec:
  selector: { matchLabels: { app: gw } }
  template: { metadata: { labels: { app: gw } }, spec: { containers: [ { name: gw, image: aigateway:test } ] } }
`);
    // Any change re-queues the namespace.
    await cluster.apply(`
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: orphan, namespace: ${NS} }
spec: { account: no-such-account, modelId: "amazon.nova-lite-v1:0" }
`);
    const cm = await until('owner reference', async () => {
      const { cm } = await compiled();
      return cm.metadata.ownerReferences?.length ? cm : undefined;
    });
    expect(cm.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'aigateway-gateway', uid: deployment?.metadata.uid },
    ]);
  });

  it('runs exactly one active replica, and a standby takes over within the lease duration', async () => {
    const common = {
      kubeConfig: cluster.kubeConfig('admin'),
      namespace: 'le',
      credentialChecks: false as const,
      leaseDurationSeconds: 3,
      renewDeadlineMs: 2000,
      retryPeriodMs: 300,
    };
    const a = await runOperator({ ...common, identity: 'op-a', healthPort: 0, healthHost: '127.0.0.1' });
    await until('a leads', async () => a.isLeader());
    const b = await runOperator({ ...common, identity: 'op-b', healthPort: 0, healthHost: '127.0.0.1' });
    // Probes: both alive; the leader is ready once its caches synced, the standby is ready as a standby.
    for (const op of [a, b]) {
      expect((await fetch(`${op.healthUrl}/healthz`)).status).toBe(200);
      await until('ready', async () => (await fetch(`${op.healthUrl}/readyz`)).status === 200);
    }
    try {
      await new Promise((r) => setTimeout(r, 1500));
      expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
      const lease = await admin.get<KubeObject & { spec: { holderIdentity: string } }>(
        pathFor(RESOURCES.leases, 'le', 'aigateway-operator'),
      );
      expect(lease.spec.holderIdentity).toBe('op-a');
      // The outputs of the namespace are written by the leader only.
      await until(
        'leader published',
        async () => (await admin.find(pathFor(RESOURCES.configmaps, 'le', 'aigateway-config'))) !== undefined,
      );

      // Crash the leader (no lease release): the standby must take over within the lease duration.
      const crashedAt = Date.now();
      await a.stop({ releaseLease: false });
      await until('b leads', async () => b.isLeader(), 10_000);
      expect(Date.now() - crashedAt).toBeLessThan(3000 + 1500);
      const after = await admin.get<KubeObject & { spec: { holderIdentity: string; leaseTransitions: number } }>(
        pathFor(RESOURCES.leases, 'le', 'aigateway-operator'),
      );
      expect(after.spec).toMatchObject({ holderIdentity: 'op-b', leaseTransitions: 1 });
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('with --all-namespaces, publishes one config per namespace that has accounts or models, and none elsewhere', async () => {
    await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata: { name: team-x }
---
apiVersion: v1
kind: Namespace
metadata: { name: team-empty }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: x, namespace: team-x }
spec: { region: eu-west-1, auth: { type: default } }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova, namespace: team-x }
spec: { account: x, modelId: "eu.amazon.nova-lite-v1:0" }
`);
    await operator?.stop();
    operator = await runOperator({
      kubeConfig: cluster.kubeConfig('admin'),
      allNamespaces: true,
      leaderElection: false,
      credentialChecks: false,
    });
    const config = await until('team-x config', async () => {
      const cm = await admin.find<KubeObject & { data: Record<string, string> }>(
        pathFor(RESOURCES.configmaps, 'team-x', 'aigateway-config'),
      );
      return cm ? (JSON.parse(cm.data['config.json'] ?? '{}') as CompiledConfig) : undefined;
    });
    expect(config).toMatchObject({
      namespace: 'team-x',
      models: [expect.objectContaining({ servedName: 'x/nova', region: 'eu-west-1' })],
    });
    // The namespace served before keeps its (unchanged) config; an empty namespace gets none.
    expect(await admin.find(pathFor(RESOURCES.configmaps, NS, 'aigateway-config'))).toBeDefined();
    expect(await admin.find(pathFor(RESOURCES.configmaps, 'team-empty', 'aigateway-config'))).toBeUndefined();
  });

  it('resumes its watch after a server-side timeout and relists after 410 Gone', async () => {
    const client = await cluster.client('admin');
    // A version far older than the API server's watch cache window is answered with 410 Gone.
    const stale = new ListWatch<KubeObject>(client, { path: pathFor(RESOURCES.models, NS), resumeFrom: '1' });
    stale.start();
    await until('relisted after 410', async () => stale.lists === 1 && stale.get(NS, 'claude-haiku') !== undefined);
    await stale.stop();

    const lw = new ListWatch<KubeObject>(client, { path: pathFor(RESOURCES.models, NS), watchTimeoutSeconds: 1 });
    lw.start();
    await lw.synced;
    await new Promise((r) => setTimeout(r, 2500)); // at least two server-side watch timeouts
    await cluster.apply(`
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: late, namespace: ${NS} }
spec: { account: bedrock, modelId: "amazon.nova-micro-v1:0" }
`);
    await until('late model seen', async () => lw.get(NS, 'late') !== undefined);
    expect(lw.lists).toBe(1);
    await admin.delete(pathFor(RESOURCES.models, NS, 'late'));
    await until('delete seen', async () => lw.get(NS, 'late') === undefined);
    await lw.stop();
  });
});
