/**
 * Acceptance (black box): the Helm chart `charts/aigateway` rendered with default values and the
 * overrides users reach for first (IRSA, fixed replicas, ServiceMonitor), installed with `helm
 * install` on a real kube-apiserver; `aigw operator` running under the chart's own service account
 * and RBAC; and the Manager admission policy judged for real users, groups and impersonated users.
 * Skips cleanly without the kube binaries (fails under CI=true).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, type KubeClient, type KubeObject } from '../../operator/src/kube/index.js';
import { type Cluster, kubeSuiteAvailability, parseYamlObjects, startCluster } from './harness.js';
import { CHART, type CliProcess, find, freePort, helm, render, spawnCli, stopChild, until } from './helpers.js';

const availability = kubeSuiteAvailability(['kube-apiserver', 'etcd', 'helm']);
// The harness's operator identity is `system:serviceaccount:aigateway-system:aigateway-operator`, the
// service account the chart creates for release `aigateway` in namespace `aigateway-system`.
const NS = 'aigateway-system';
const GROUP = '/apis/aigateway.dev/v1alpha1';

type Obj = KubeObject & {
  spec?: Record<string, unknown> & {
    replicas?: number;
    template?: {
      metadata?: { labels?: Record<string, string> };
      spec: {
        serviceAccountName?: string;
        volumes?: Array<{ name: string; projected?: { sources: Array<Record<string, { name: string }>> } }>;
        containers: Array<{ name: string; args?: string[]; env?: Array<{ name: string; value?: string }> }>;
      };
    };
  };
  status?: Record<string, unknown> & { conditions?: Array<{ type: string; status: string; reason: string }> };
};

/** The rendered object of `kind` whose name ends with `suffix` (any release name). */
const named = (objs: Obj[], kind: string, suffix: string) => find<Obj>(objs, kind, new RegExp(`${suffix}$`));

describe.skipIf(!availability.run)('acceptance: the Helm chart on a real API server', () => {
  describe('helm template', () => {
    it('renders a complete, consistent install with default values', async () => {
      const objs = (await render()) as Obj[];
      const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`);
      for (const k of [
        'Deployment/aigateway-operator',
        'Deployment/aigateway-gateway',
        'ServiceAccount/aigateway-operator',
        'ServiceAccount/aigateway-gateway',
        'ValidatingAdmissionPolicy/aigateway-model-managers',
        'ValidatingAdmissionPolicyBinding/aigateway-model-managers',
        'ClusterRole/aigateway-model-editor',
      ]) {
        expect(kinds).toContain(k);
      }
      expect(objs.some((o) => o.kind === 'Service')).toBe(true);
      expect(objs.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(true);
      expect(objs.some((o) => o.kind === 'PodDisruptionBudget')).toBe(true);
      // No ServiceMonitor by default.
      expect(objs.some((o) => o.kind === 'ServiceMonitor')).toBe(false);

      // The operator publishes under the names the gateway mounts.
      const op = named(objs, 'Deployment', '-operator');
      const gw = named(objs, 'Deployment', '-gateway');
      const opEnv = Object.fromEntries(
        (op?.spec?.template?.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]),
      );
      const output = opEnv.AIGW_OUTPUT_NAME;
      expect(output).toBeTruthy();
      const sources = gw?.spec?.template?.spec.volumes?.find((v) => v.projected)?.projected?.sources ?? [];
      expect(sources.map((s) => s.configMap?.name ?? s.secret?.name).sort()).toEqual(
        [`${output}-config`, `${output}-credentials`].sort(),
      );
      // Pods the operator nudges carry the label it selects on.
      expect(gw?.spec?.template?.metadata?.labels?.['aigateway.dev/gateway']).toBe(output);
      // With the HPA on, the Deployment leaves replicas to it (a helm upgrade must not reset the scale).
      expect(gw?.spec?.replicas).toBeUndefined();
      const args = gw?.spec?.template?.spec.containers[0]?.args ?? [];
      expect(args.slice(0, 2)).toEqual(['serve', '--compiled-config']);
      expect(op?.spec?.template?.spec.containers[0]?.args?.[0]).toBe('operator');
      // Nothing secret is rendered into the chart.
      expect(objs.some((o) => o.kind === 'Secret')).toBe(false);
    });

    it('takes the common overrides: IRSA annotations, fixed replicas, ServiceMonitor', async () => {
      const role = 'arn:aws:iam::111122223333:role/aigateway-gateway';
      const objs = (await render([
        `gateway.serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=${role}`,
        'gateway.autoscaling.enabled=false',
        'gateway.replicas=3',
        'operator.replicas=1',
        'operator.leaderElection.enabled=false',
        'gateway.serviceMonitor.enabled=true',
        'gateway.serviceMonitor.force=true',
        'gateway.serviceMonitor.labels.release=prom',
      ])) as Obj[];
      const sa = named(objs, 'ServiceAccount', '-gateway');
      expect(sa?.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(role);
      expect(named(objs, 'Deployment', '-gateway')?.spec?.replicas).toBe(3);
      expect(objs.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(false);
      const op = named(objs, 'Deployment', '-operator');
      expect(op?.spec?.replicas).toBe(1);
      const env = Object.fromEntries((op?.spec?.template?.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
      expect(env.AIGW_LEADER_ELECTION).toBe('false');
      const sm = objs.find((o) => o.kind === 'ServiceMonitor');
      expect(sm).toBeDefined();
      expect(sm?.metadata.labels?.release).toBe('prom');
      const endpoints = (
        (sm?.spec ?? { endpoints: [] }) as { endpoints: Array<{ port: string; path?: string; interval?: string }> }
      ).endpoints;
      expect(endpoints[0]).toMatchObject({ path: '/metrics', interval: '30s' });
      // The ServiceMonitor's port is a named port of a Service that selects the gateway pods.
      const svc = objs.find(
        (o) =>
          o.kind === 'Service' &&
          ((o.spec as { ports: Array<{ name: string }> }).ports ?? []).some((p) => p.name === endpoints[0]?.port),
      );
      expect(svc, `Service with port ${endpoints[0]?.port}`).toBeDefined();
    });

    it('keeps names consistent for another release name', async () => {
      const objs = (await render([], { release: 'gw' })) as Obj[];
      const op = named(objs, 'Deployment', '-operator');
      const gw = named(objs, 'Deployment', '-gateway');
      const env = Object.fromEntries((op?.spec?.template?.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
      const sources = gw?.spec?.template?.spec.volumes?.find((v) => v.projected)?.projected?.sources ?? [];
      expect(sources.map((s) => s.configMap?.name ?? s.secret?.name)).toContain(`${env.AIGW_OUTPUT_NAME}-config`);
      expect(gw?.spec?.template?.metadata?.labels?.['aigateway.dev/gateway']).toBe(env.AIGW_OUTPUT_NAME);
    });
  });

  describe('helm install, the operator under the chart RBAC, the Manager policy', () => {
    let cluster: Cluster;
    let admin: KubeClient;
    /** Every `aigw operator` process this suite started, the running one last. */
    const operators: CliProcess[] = [];
    const operatorLog = () => operators.map((o) => o.log()).join('');

    /** Runs `aigw operator` as the chart does: its service account (a token user here), its env, leader election on. */
    function startOperator(scope: string[], healthPort: number): void {
      operators.push(
        spawnCli(['operator', ...scope, '--kubeconfig', cluster.kubeconfigPath('operator')], {
          POD_NAME: 'aigateway-operator-0',
          POD_NAMESPACE: NS,
          AIGW_OUTPUT_NAME: 'aigateway',
          AIGW_LEASE_NAME: 'aigateway-operator',
          AIGW_LEADER_ELECTION: 'true',
          AIGW_OPERATOR_HEALTH_PORT: String(healthPort),
          AIGW_LOG_LEVEL: 'info',
        }),
      );
    }

    const stopOperator = () => stopChild(operators.at(-1)?.child);

    beforeAll(async () => {
      // Its own cluster: the chart installs cluster-wide objects (CRDs, the Manager admission policy).
      cluster = await startCluster({ name: 'chart-install' });
      admin = await cluster.client('admin');
      await helm(
        [
          'install',
          'aigateway',
          CHART,
          '--namespace',
          NS,
          '--create-namespace',
          '--set',
          'gateway.serviceMonitor.enabled=true',
          '--wait=false',
        ],
        cluster.kubeconfigPath('admin'),
      );
      await cluster.apply(`
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: prod, namespace: ${NS} }
spec:
  region: us-east-1
  auth: { type: default }
  collaborators:
    - { subject: "user:alice@example.com", role: Manager }
    - { subject: "user:bob@example.com", role: User }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: other, namespace: ${NS} }
spec: { region: eu-west-1, auth: { type: default } }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: shared, namespace: ${NS} }
spec:
  region: eu-west-1
  auth: { type: default }
  collaborators:
    - { subject: "team:ml-platform", role: Manager }
    - { subject: "serviceaccount:apps:ci", role: Manager }
---
apiVersion: v1
kind: Pod
metadata:
  name: gateway-pod-1
  namespace: ${NS}
  labels: { aigateway.dev/gateway: aigateway, app.kubernetes.io/name: aigateway, app.kubernetes.io/instance: aigateway, app.kubernetes.io/component: gateway }
spec:
  containers: [{ name: gateway, image: example.invalid/aigateway:0 }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: model-editors, namespace: ${NS} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: aigateway-model-editor }
subjects:
  - { apiGroup: rbac.authorization.k8s.io, kind: User, name: bob@example.com }
  - { apiGroup: rbac.authorization.k8s.io, kind: User, name: dave@example.com }
  - { apiGroup: rbac.authorization.k8s.io, kind: Group, name: ml-platform }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: impersonator }
rules: [{ apiGroups: [""], resources: [users, groups, serviceaccounts], verbs: [impersonate] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: bob-impersonates }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: impersonator }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: bob@example.com }]
`);
      startOperator(['--namespace', NS], await freePort());
      // The API server's admission policy sees new ProviderAccounts through an informer: wait until it
      // judges with all of them (alice may create in prod; bob, no Manager of other, may not).
      const aliceClient = await cluster.client('alice');
      const bobClient = await cluster.client('bob');
      const dry = (c: KubeClient, account: string) =>
        c.request('POST', `${GROUP}/namespaces/${NS}/models`, {
          query: { dryRun: 'All' },
          body: {
            apiVersion: 'aigateway.dev/v1alpha1',
            kind: 'Model',
            metadata: { name: 'probe', namespace: NS },
            spec: { account, modelId: 'anthropic.claude-3-haiku-20240307-v1:0' },
          },
        });
      await until('admission policy in effect', async () => {
        await dry(aliceClient, 'prod');
        await dry(aliceClient, 'shared');
        try {
          await dry(bobClient, 'other');
          return false;
        } catch (err) {
          return err instanceof KubeApiError && err.status === 403;
        }
      });
    }, 180_000);

    afterAll(async () => {
      await stopOperator();
      await cluster?.stop();
    }, 60_000);

    it('a server-side dry run accepts the chart with many overrides at once', async () => {
      const out = await helm(
        [
          'install',
          'edge',
          CHART,
          '--namespace',
          'edge-ns',
          '--create-namespace',
          '--dry-run=server',
          '--set',
          'fullnameOverride=edge-gw',
          '--set',
          'commonLabels.team=ml',
          '--set',
          'gateway.networkPolicy.enabled=true',
          '--set',
          'gateway.networkPolicy.egressCIDRs={10.0.0.0/8}',
          '--set',
          'gateway.serviceAccountCallers.enabled=false',
          '--set',
          'gateway.service.type=LoadBalancer',
          '--set',
          'gateway.podDisruptionBudget.maxUnavailable=50%',
          '--set',
          'operator.allNamespaces=true',
          '--set',
          'admissionPolicy.adminUsers={root@example.com}',
          '--set',
          'image.tag=1.2.3',
          '-o',
          'json',
        ],
        cluster.kubeconfigPath('admin'),
      );
      const objs = parseYamlObjects((JSON.parse(out) as { manifest: string }).manifest) as Obj[];
      expect(objs.length).toBeGreaterThan(10);
      const gw = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'edge-gw-gateway');
      expect(gw?.spec?.template?.spec.containers[0]?.args).not.toContain('--token-review');
      expect(objs.every((o) => o.metadata.labels?.team === 'ml')).toBe(true);
      const op = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'edge-gw-operator');
      const env = Object.fromEntries((op?.spec?.template?.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
      expect(env.AIGW_OUTPUT_NAME).toBe('edge-gw');
      expect(op?.spec?.template?.spec.containers[0]?.args).toContain('--all-namespaces');
    }, 60_000);

    it('installed every rendered object (ServiceMonitor skipped without its CRD)', async () => {
      const dep = await admin.get<Obj>(`/apis/apps/v1/namespaces/${NS}/deployments/aigateway-gateway`);
      expect(dep.metadata.name).toBe('aigateway-gateway');
      await admin.get(`/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/aigateway-model-managers`);
      const status = await helm(['status', 'aigateway', '-n', NS, '-o', 'json'], cluster.kubeconfigPath('admin'));
      expect((JSON.parse(status) as { info: { status: string } }).info.status).toBe('deployed');
    });

    it('the operator publishes under the chart RBAC, sets status and nudges gateway pods', async () => {
      const prod = await until(
        'prod status',
        async () => {
          const o = await admin.get<Obj>(`${GROUP}/namespaces/${NS}/provideraccounts/prod`);
          return o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? o : undefined;
        },
        30_000,
      );
      expect(prod.status?.observedGeneration).toBe(prod.metadata.generation);
      const cm = await admin.get<KubeObject & { data?: Record<string, string> }>(
        `/api/v1/namespaces/${NS}/configmaps/aigateway-config`,
      );
      const revision = (JSON.parse(cm.data?.['config.json'] ?? '{}') as { revision: string }).revision;
      await admin.get(`/api/v1/namespaces/${NS}/secrets/aigateway-credentials`);
      const pod = await until('pod nudged', async () => {
        const p = await admin.get<KubeObject>(`/api/v1/namespaces/${NS}/pods/gateway-pod-1`);
        return p.metadata.annotations?.['aigateway.dev/config-revision'] ? p : undefined;
      });
      expect(pod.metadata.annotations?.['aigateway.dev/config-revision']).toBe(revision);
      // The outputs live as long as the chart's gateway Deployment.
      const dep = await admin.get<KubeObject>(`/apis/apps/v1/namespaces/${NS}/deployments/aigateway-gateway`);
      expect(cm.metadata.ownerReferences?.map((o) => o.uid)).toContain(dep.metadata.uid);
      // Events are recorded under the chart's rights.
      const events = await until('events', async () => {
        const list = await admin.list<KubeObject & { regarding?: { name: string } }>(
          `/apis/events.k8s.io/v1/namespaces/${NS}/events`,
        );
        return list.items.some((e) => e.regarding?.name === 'prod') ? list.items : undefined;
      });
      expect(events.length).toBeGreaterThan(0);
      const log = operatorLog();
      expect(log).not.toMatch(/forbidden/i);
    }, 40_000);

    it('Managers may create, change and delete Models of their accounts', async () => {
      const alice = await cluster.client('alice');
      const path = `${GROUP}/namespaces/${NS}/models`;
      await alice.create(path, {
        apiVersion: 'aigateway.dev/v1alpha1',
        kind: 'Model',
        metadata: { name: 'claude', namespace: NS },
        spec: { account: 'prod', modelId: 'anthropic.claude-3-haiku-20240307-v1:0' },
      });
      await alice.mergePatch(`${path}/claude`, { spec: { region: 'us-west-2' } });
      // Through a group: alice is in ml-platform, a Manager team of `shared`.
      await alice.create(path, {
        apiVersion: 'aigateway.dev/v1alpha1',
        kind: 'Model',
        metadata: { name: 'nova', namespace: NS },
        spec: { account: 'shared', modelId: 'eu.amazon.nova-lite-v1:0' },
      });
      await alice.delete(`${path}/nova`);
      // Judged at its current generation: the operator may have served the unpatched Model first.
      const m = await until('claude served as patched', async () => {
        const o = await admin.get<Obj>(`${path}/claude`);
        return o.status?.observedGeneration === o.metadata.generation &&
          o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          ? o
          : undefined;
      });
      expect(m.status?.resolvedRegion).toBe('us-west-2');
    });

    it('everyone else is refused with a message that says what to do', async () => {
      const bob = await cluster.client('bob');
      const path = `${GROUP}/namespaces/${NS}/models`;
      const refusal = async (p: Promise<unknown>): Promise<KubeApiError> => {
        try {
          await p;
        } catch (err) {
          if (err instanceof KubeApiError) return err;
          throw err;
        }
        throw new Error('expected a refusal');
      };
      // bob is only a User of prod.
      const create = await refusal(
        bob.create(path, {
          apiVersion: 'aigateway.dev/v1alpha1',
          kind: 'Model',
          metadata: { name: 'bobs', namespace: NS },
          spec: { account: 'prod', modelId: 'anthropic.claude-3-haiku-20240307-v1:0' },
        }),
      );
      expect(create.status).toBe(403);
      expect(create.message).toMatch(/Manager/);
      expect(create.message).toMatch(/prod/);
      expect(create.message).toContain('user:bob@example.com');
      const change = await refusal(bob.mergePatch(`${path}/claude`, { spec: { region: 'us-east-2' } }));
      expect(change.status).toBe(403);
      const del = await refusal(bob.delete(`${path}/claude`));
      expect(del.status).toBe(403);
      // A Manager of one account cannot move a Model into an account they do not manage.
      const alice = await cluster.client('alice');
      await alice.create(path, {
        apiVersion: 'aigateway.dev/v1alpha1',
        kind: 'Model',
        metadata: { name: 'mover', namespace: NS },
        spec: { account: 'shared', modelId: 'eu.amazon.nova-lite-v1:0' },
      });
      const move = await refusal(alice.mergePatch(`${path}/mover`, { spec: { account: 'other' } }));
      expect(move.status).toBe(403);
      expect(move.message).toContain('other');
    });

    it('judges impersonated users and groups like real ones', async () => {
      const bob = await cluster.client('bob');
      const path = `${GROUP}/namespaces/${NS}/models`;
      const model = (name: string, account: string) => ({
        apiVersion: 'aigateway.dev/v1alpha1',
        kind: 'Model',
        metadata: { name, namespace: NS },
        spec: { account, modelId: 'eu.amazon.nova-lite-v1:0' },
      });
      // carol, impersonated as a member of ml-platform, manages `shared`.
      await bob.request('POST', path, {
        body: model('carols', 'shared'),
        headers: { 'impersonate-user': 'carol@example.com', 'impersonate-group': 'ml-platform' },
      });
      // dave has RBAC on Models but is no collaborator at all.
      let refused: KubeApiError | undefined;
      try {
        await bob.request('POST', path, {
          body: model('daves', 'shared'),
          headers: { 'impersonate-user': 'dave@example.com' },
        });
      } catch (err) {
        refused = err as KubeApiError;
      }
      expect(refused?.status).toBe(403);
      expect(refused?.message).toContain('user:dave@example.com');
      // A service account listed as Manager (e.g. a CI pipeline), and one that is not.
      await admin.apply(
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings/sa-model-editors`,
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'sa-model-editors', namespace: NS },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'aigateway-model-editor' },
          subjects: [
            { kind: 'ServiceAccount', name: 'ci', namespace: 'apps' },
            { kind: 'ServiceAccount', name: 'other', namespace: 'apps' },
          ],
        },
        { fieldManager: 'acc' },
      );
      await until('sa rights', async () => {
        await bob.request('POST', path, {
          query: { dryRun: 'All' },
          body: model('ci-made', 'shared'),
          headers: { 'impersonate-user': 'system:serviceaccount:apps:ci' },
        });
        return true;
      });
      let saRefused: KubeApiError | undefined;
      try {
        await bob.request('POST', path, {
          body: model('other-made', 'shared'),
          headers: { 'impersonate-user': 'system:serviceaccount:apps:other' },
        });
      } catch (err) {
        saRefused = err as KubeApiError;
      }
      expect(saRefused?.status).toBe(403);
      // Admins are exempt.
      await admin.create(path, model('admins', 'prod'));
    });

    it('admins are exempt, also where no ProviderAccount exists (yet)', async () => {
      await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata: { name: empty }
`);
      // A Model before its account, as `kubectl apply -f dir/` may order them.
      await admin.create(`${GROUP}/namespaces/empty/models`, {
        apiVersion: 'aigateway.dev/v1alpha1',
        kind: 'Model',
        metadata: { name: 'early', namespace: 'empty' },
        spec: { account: 'later', modelId: 'anthropic.claude-3-haiku-20240307-v1:0' },
      });
      // An account and its Model in one apply, in a fresh namespace.
      await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata: { name: fresh }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: acct, namespace: fresh }
spec: { region: us-east-1, auth: { type: default } }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: haiku, namespace: fresh }
spec: { account: acct, modelId: "anthropic.claude-3-haiku-20240307-v1:0" }
`);
    });

    it('helm upgrade to operator.allNamespaces: the operator serves another namespace under the ClusterRole', async () => {
      await helm(
        ['upgrade', 'aigateway', CHART, '--namespace', NS, '--reuse-values', '--set', 'operator.allNamespaces=true'],
        cluster.kubeconfigPath('admin'),
      );
      await stopOperator();
      startOperator(['--all-namespaces'], await freePort());
      await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata: { name: team-b }
---
apiVersion: v1
kind: Secret
metadata: { name: keys, namespace: team-b }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: not-checked-here }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: team-b-bedrock, namespace: team-b }
spec:
  region: us-west-2
  stsEndpoint: http://127.0.0.1:9
  auth: { type: accessKey, accessKey: { secretRef: { name: keys } } }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: haiku, namespace: team-b }
spec: { account: team-b-bedrock, modelId: "anthropic.claude-3-haiku-20240307-v1:0" }
`);
      const m = await until(
        'team-b model served',
        async () => {
          const o = await admin.get<Obj>(`${GROUP}/namespaces/team-b/models/haiku`);
          return o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? o : undefined;
        },
        30_000,
      );
      expect(m.status?.resolvedRegion).toBe('us-west-2');
      const cm = await until('team-b config', () =>
        admin.find<KubeObject & { data?: Record<string, string> }>(
          `/api/v1/namespaces/team-b/configmaps/aigateway-config`,
        ),
      );
      const config = JSON.parse(cm.data?.['config.json'] ?? '{}') as { models: Array<{ servedName: string }> };
      expect(config.models.map((x) => x.servedName)).toEqual(['team-b-bedrock/haiku']);
      // The release namespace is still served too.
      const prod = await admin.get<Obj>(`${GROUP}/namespaces/${NS}/provideraccounts/prod`);
      expect(prod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      const log = operatorLog();
      expect(log).not.toMatch(/forbidden/i);
      expect(log).not.toContain('not-checked-here');
    }, 60_000);
  });
});
