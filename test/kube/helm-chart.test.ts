/**
 * The Helm chart as an installer sees it: lint-clean, renders what the values say across a matrix,
 * every rendered object is accepted by a real API server, `helm install` creates them, the operator
 * works with exactly the chart's RBAC (and is refused what it does not need), and the admission
 * policy lets only Managers of an account edit its Models.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Condition } from '../../gateway/src/config/index.js';
import { createTokenReviewer } from '../../gateway/src/server/index.js';
import { runOperator } from '../../operator/src/index.js';
import {
  KubeApiError,
  type KubeClient,
  type KubeObject,
  pathFor,
  RESOURCES,
  resourcePath,
} from '../../operator/src/kube/index.js';
import { type Cluster, kubeSuiteAvailability, REPO_ROOT, startCluster, USERS } from './harness.js';
import { CHART, dig, find, helm, render, until } from './helpers.js';

const availability = kubeSuiteAvailability(['kube-apiserver', 'etcd', 'helm']);
const NS = 'aigateway-system';

describe.skipIf(!availability.run)('Helm chart', () => {
  it('passes helm lint, strict too', async () => {
    const out = await helm(['lint', '--strict', CHART]);
    expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it('ships exactly the CRDs of crds/', () => {
    expect(readdirSync(join(CHART, 'crds')).sort()).toEqual(readdirSync(join(REPO_ROOT, 'crds')).sort());
    for (const f of [
      'provideraccounts.aigateway.dev.yaml',
      'models.aigateway.dev.yaml',
      'usagepolicies.aigateway.dev.yaml',
      'modelroutes.aigateway.dev.yaml',
    ]) {
      expect(readFileSync(join(CHART, 'crds', f), 'utf8')).toBe(readFileSync(join(REPO_ROOT, 'crds', f), 'utf8'));
    }
  });

  it('renders a hardened gateway that reads the compiled config from one projected volume', async () => {
    const objects = await render();
    const gw = find(objects, 'Deployment', 'aigateway-gateway');
    const pod = dig(gw, 'spec.template.spec');
    const container = dig(pod, 'containers.0');
    expect(dig(gw, 'spec.strategy')).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' },
    });
    expect(dig(gw, 'spec.replicas')).toBeUndefined(); // the HPA owns the replica count
    expect(container).toMatchObject({
      args: [
        'serve',
        '--compiled-config',
        '/etc/aigateway/compiled',
        '--host',
        '0.0.0.0',
        '--port',
        '8080',
        '--admin-port',
        '9090',
        '--token-review',
      ],
      lifecycle: { preStop: { sleep: { seconds: 5 } } },
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      },
      readinessProbe: { httpGet: { path: '/readyz', port: 'admin' } },
      livenessProbe: { httpGet: { path: '/healthz', port: 'admin' } },
      resources: { requests: { cpu: '250m', memory: '256Mi' } },
    });
    // The image worker pool is sized by the chart, not by the node's core count (which the pod does not own).
    expect(dig(container, 'env')).toEqual(
      expect.arrayContaining([
        { name: 'AIGW_IMAGE_WORK_THREADS', value: '2' },
        { name: 'AIGW_IMAGE_WORK_QUEUE', value: '16' },
      ]),
    );
    expect(dig(container, 'volumeMounts')).toContainEqual({
      name: 'compiled-config',
      mountPath: '/etc/aigateway/compiled',
      readOnly: true,
    });
    expect(dig(pod, 'securityContext')).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(dig(gw, 'spec.template.metadata.labels')).toMatchObject({ 'aigateway.dev/gateway': 'aigateway' });
    expect(dig(pod, 'volumes')).toContainEqual({
      name: 'compiled-config',
      projected: {
        sources: [
          {
            configMap: {
              name: 'aigateway-config',
              optional: true,
              items: [{ key: 'config.json', path: 'config.json' }],
            },
          },
          {
            secret: {
              name: 'aigateway-credentials',
              optional: true,
              items: [{ key: 'credentials.json', path: 'credentials.json' }],
            },
          },
        ],
      },
    });
    expect(dig(find(objects, 'PodDisruptionBudget', 'aigateway-gateway'), 'spec.maxUnavailable')).toBe(1);
    expect(dig(find(objects, 'HorizontalPodAutoscaler', 'aigateway-gateway'), 'spec')).toMatchObject({
      minReplicas: 2,
      maxReplicas: 10,
    });
    expect(dig(find(objects, 'Service', 'aigateway-gateway'), 'spec.ports.0')).toMatchObject({
      port: 80,
      targetPort: 'http',
    });

    const op = find(objects, 'Deployment', 'aigateway-operator');
    const opContainer = dig(op, 'spec.template.spec.containers.0');
    expect(dig(op, 'spec.replicas')).toBe(2);
    expect(dig(opContainer, 'args')).toEqual(['operator', '--namespace', NS, '--metrics-port', '9091']);
    expect(dig(opContainer, 'env')).toContainEqual({ name: 'AIGW_OUTPUT_NAME', value: 'aigateway' });
    expect(dig(opContainer, 'env')).toContainEqual({ name: 'AIGW_LEASE_NAME', value: 'aigateway-operator' });
    expect(opContainer).toMatchObject({
      readinessProbe: { httpGet: { path: '/readyz', port: 'health' } },
      livenessProbe: { httpGet: { path: '/healthz', port: 'health' } },
      securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
    });
    expect(dig(find(objects, 'Role', 'aigateway-operator'), 'rules')).toBeDefined();
    expect(objects.some((o) => o.kind === 'ClusterRole' && o.metadata.name === 'aigateway-operator')).toBe(false);
  });

  it('follows the values: all namespaces, IRSA, fixed replicas, ServiceMonitor, NetworkPolicy, no policy', async () => {
    const objects = await render([
      'operator.allNamespaces=true',
      'gateway.serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::111122223333:role/aigateway',
      'gateway.autoscaling.enabled=false',
      'gateway.replicas=3',
      'gateway.networkPolicy.enabled=true',
      'gateway.networkPolicy.egressCIDRs={10.0.0.0/8}',
      'gateway.serviceMonitor.enabled=true',
      'admissionPolicy.enabled=false',
    ]);
    expect(dig(find(objects, 'ClusterRole', 'aigateway-operator'), 'rules')).toBeDefined();
    expect(dig(find(objects, 'ClusterRoleBinding', 'aigateway-operator'), 'subjects')).toEqual([
      { kind: 'ServiceAccount', name: 'aigateway-operator', namespace: NS },
    ]);
    expect(dig(find(objects, 'Deployment', 'aigateway-operator'), 'spec.template.spec.containers.0.args')).toEqual([
      'operator',
      '--all-namespaces',
      '--metrics-port',
      '9091',
    ]);
    expect(find(objects, 'ServiceAccount', 'aigateway-gateway').metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/aigateway',
    });
    expect(dig(find(objects, 'Deployment', 'aigateway-gateway'), 'spec.replicas')).toBe(3);
    expect(objects.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(false);
    expect(dig(find(objects, 'NetworkPolicy', 'aigateway-gateway'), 'spec.egress.1.to')).toEqual([
      { ipBlock: { cidr: '10.0.0.0/8' } },
    ]);
    // No Prometheus Operator in the target cluster: no ServiceMonitor, no failed install.
    expect(objects.some((o) => o.kind === 'ServiceMonitor')).toBe(false);
    expect(objects.some((o) => o.kind === 'ValidatingAdmissionPolicy')).toBe(false);
    const withPrometheus = await render(['gateway.serviceMonitor.enabled=true'], {
      extra: ['--api-versions', 'monitoring.coreos.com/v1'],
    });
    expect(dig(find(withPrometheus, 'ServiceMonitor', 'aigateway-gateway'), 'spec.endpoints')).toEqual([
      { port: 'admin', path: '/metrics', interval: '30s' },
    ]);
  });

  it('takes securityContext overrides (OpenShift assigns its own UID) and pins the image by digest', async () => {
    const digest = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
    const objects = await render([
      `image.digest=${digest}`,
      'image.tag=1.2.3',
      'gateway.podSecurityContext.runAsUser=null',
      'gateway.podSecurityContext.runAsGroup=null',
      'gateway.podSecurityContext.fsGroup=null',
      'operator.podSecurityContext.runAsUser=null',
      'operator.podSecurityContext.runAsGroup=null',
      'operator.podSecurityContext.fsGroup=null',
      'gateway.securityContext.readOnlyRootFilesystem=false',
      'operator.securityContext.runAsNonRoot=true',
    ]);
    for (const name of ['aigateway-gateway', 'aigateway-operator']) {
      const pod = dig(find(objects, 'Deployment', name), 'spec.template.spec');
      // The digest wins over the tag.
      expect(dig(pod, 'containers.0.image'), name).toBe(`ghcr.io/aigateway/aigateway@${digest}`);
      // OpenShift: no fixed ids, the rest of the restricted profile kept.
      expect(dig(pod, 'securityContext'), name).toEqual({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
    }
    expect(
      dig(find(objects, 'Deployment', 'aigateway-gateway'), 'spec.template.spec.containers.0.securityContext'),
    ).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(
      dig(find(objects, 'Deployment', 'aigateway-operator'), 'spec.template.spec.containers.0.securityContext'),
    ).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    // Without a digest, the tag.
    const tagged = await render(['image.tag=1.2.3']);
    expect(dig(find(tagged, 'Deployment', 'aigateway-gateway'), 'spec.template.spec.containers.0.image')).toBe(
      'ghcr.io/aigateway/aigateway:1.2.3',
    );
    for (const bad of ['image.digest=latest', 'image.digest=sha256:abc', 'gateway.securityContext=strict']) {
      await expect(render([bad]), bad).rejects.toThrow(/values don't meet the specifications of the schema/);
    }
  });

  it('lets service-account callers in only when asked: TokenReview rights, API token, --token-review', async () => {
    const on = await render(['gateway.serviceAccountCallers.audiences={aigateway,other}']);
    const gw = find(on, 'Deployment', 'aigateway-gateway');
    expect(dig(gw, 'spec.template.spec.automountServiceAccountToken')).toBe(true);
    expect((dig(gw, 'spec.template.spec.containers.0.args') as string[]).slice(-5)).toEqual([
      '--token-review',
      '--token-review-audience',
      'aigateway',
      '--token-review-audience',
      'other',
    ]);
    // The one right the gateway has: create TokenReviews.
    expect(dig(find(on, 'ClusterRole', 'aigateway-gateway-token-review'), 'rules')).toEqual([
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    ]);
    expect(dig(find(on, 'ClusterRoleBinding', 'aigateway-gateway-token-review'), 'subjects')).toEqual([
      { kind: 'ServiceAccount', name: 'aigateway-gateway', namespace: NS },
    ]);

    const off = await render(['gateway.serviceAccountCallers.enabled=false']);
    const gwOff = find(off, 'Deployment', 'aigateway-gateway');
    expect(dig(gwOff, 'spec.template.spec.automountServiceAccountToken')).toBe(false);
    expect(dig(gwOff, 'spec.template.spec.containers.0.args')).not.toContain('--token-review');
    expect(off.some((o) => o.metadata.name === 'aigateway-gateway-token-review')).toBe(false);
    await expect(render(['gateway.serviceAccountCallers.audiences=aigateway'])).rejects.toThrow(
      /values don't meet the specifications of the schema/,
    );
  });

  it('gives gateway and operator the shared store of limits: URL, password and CA as files, NetworkPolicy egress', async () => {
    const env = (objects: KubeObject[], deployment: string) =>
      dig(find(objects, 'Deployment', deployment), 'spec.template.spec.containers.0.env') as Array<{
        name: string;
        value?: string;
      }>;
    // Without a store: no variables, no Redis objects.
    const plain = await render();
    for (const d of ['aigateway-gateway', 'aigateway-operator']) {
      expect(env(plain, d).filter((e) => e.name.startsWith('AIGW_REDIS'))).toEqual([]);
    }
    expect(plain.filter((o) => o.metadata.name === 'aigateway-redis')).toEqual([]);
    expect(env(plain, 'aigateway-operator')).toContainEqual({
      name: 'AIGW_USAGE_STATUS_INTERVAL_SECONDS',
      value: '15',
    });

    const external = await render([
      'limits.redis.url=rediss://redis.example.internal:6380',
      'limits.redis.port=6380',
      'limits.redis.passwordSecret.name=redis-auth',
      'limits.redis.passwordSecret.key=pw',
      'limits.redis.tls.caSecret.name=redis-ca',
      'limits.redis.egressCIDRs={10.20.0.0/16}',
      'limits.statusIntervalSeconds=30',
      'gateway.networkPolicy.enabled=true',
    ]);
    for (const d of ['aigateway-gateway', 'aigateway-operator']) {
      const pod = dig(find(external, 'Deployment', d), 'spec.template.spec') as Record<string, unknown>;
      expect(env(external, d)).toEqual(
        expect.arrayContaining([
          { name: 'AIGW_REDIS_URL', value: 'rediss://redis.example.internal:6380' },
          { name: 'AIGW_REDIS_PASSWORD_FILE', value: '/etc/aigateway/redis-password/password' },
          { name: 'AIGW_REDIS_CA_FILE', value: '/etc/aigateway/redis-ca/ca.crt' },
        ]),
      );
      // The password is a file from the Secret, never an env value.
      expect(JSON.stringify(dig(pod, 'containers.0.env'))).not.toContain('secretKeyRef');
      expect(pod.volumes).toEqual(
        expect.arrayContaining([
          { name: 'redis-password', secret: { secretName: 'redis-auth', items: [{ key: 'pw', path: 'password' }] } },
          { name: 'redis-ca', secret: { secretName: 'redis-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        ]),
      );
      expect(dig(pod, 'containers.0.volumeMounts')).toEqual(
        expect.arrayContaining([
          { name: 'redis-password', mountPath: '/etc/aigateway/redis-password', readOnly: true },
          { name: 'redis-ca', mountPath: '/etc/aigateway/redis-ca', readOnly: true },
        ]),
      );
    }
    expect(env(external, 'aigateway-operator')).toContainEqual({
      name: 'AIGW_USAGE_STATUS_INTERVAL_SECONDS',
      value: '30',
    });
    expect(dig(find(external, 'NetworkPolicy', 'aigateway-gateway'), 'spec.egress')).toContainEqual({
      ports: [{ port: 6380, protocol: 'TCP' }],
      to: [{ ipBlock: { cidr: '10.20.0.0/16' } }],
    });

    // The in-chart server: restricted, reachable from gateway and operator pods only.
    const inChart = await render([
      'limits.redis.deploy.enabled=true',
      'limits.redis.passwordSecret.name=redis-auth',
      'gateway.networkPolicy.enabled=true',
    ]);
    expect(env(inChart, 'aigateway-gateway')).toContainEqual({
      name: 'AIGW_REDIS_URL',
      value: 'redis://aigateway-redis:6379',
    });
    const redisPod = dig(find(inChart, 'Deployment', 'aigateway-redis'), 'spec.template.spec') as Record<
      string,
      unknown
    >;
    expect(redisPod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(dig(redisPod, 'containers.0.securityContext')).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(dig(redisPod, 'containers.0.image')).toBe('docker.io/valkey/valkey:8.1.4-alpine');
    expect(dig(redisPod, 'containers.0.args')).toEqual(expect.arrayContaining(['--requirepass', '$(REDIS_PASSWORD)']));
    expect(redisPod.automountServiceAccountToken).toBe(false);
    expect(dig(find(inChart, 'Service', 'aigateway-redis'), 'spec.ports.0')).toMatchObject({ port: 6379 });
    const toRedis = dig(find(inChart, 'NetworkPolicy', 'aigateway-gateway'), 'spec.egress') as unknown[];
    expect(toRedis).toContainEqual({
      ports: [{ port: 6379, protocol: 'TCP' }],
      to: [
        {
          podSelector: {
            matchLabels: {
              'app.kubernetes.io/name': 'aigateway',
              'app.kubernetes.io/instance': 'aigateway',
              'app.kubernetes.io/component': 'redis',
            },
          },
        },
      ],
    });
    const redisPolicy = find(inChart, 'NetworkPolicy', 'aigateway-redis');
    expect(
      (dig(redisPolicy, 'spec.ingress.0.from') as Array<{ podSelector: { matchLabels: Record<string, string> } }>).map(
        (f) => f.podSelector.matchLabels['app.kubernetes.io/component'],
      ),
    ).toEqual(['gateway', 'operator']);
    expect(dig(redisPolicy, 'spec.egress')).toEqual([]);
  });

  it('refuses store settings that contradict each other, naming the keys', async () => {
    await expect(render(['limits.redis.url=redis://r:6379', 'limits.redis.deploy.enabled=true'])).rejects.toThrow(
      /limits.redis.url and limits.redis.deploy.enabled are both set/,
    );
    await expect(render(['limits.redis.url=redis://default:hunter2@r:6379'])).rejects.toThrow(
      /limits.redis.url carries a password.*limits.redis.passwordSecret/,
    );
    await expect(render(['limits.redis.url=redis://r:6379', 'limits.redis.tls.caSecret.name=ca'])).rejects.toThrow(
      /limits.redis.tls.caSecret is set but the store is not reached over TLS/,
    );
    await expect(render(['limits.redis.url=http://r:6379'])).rejects.toThrow(
      /values don't meet the specifications of the schema/,
    );
  });

  it('rejects values that do not fit the schema, naming the key', async () => {
    for (const [bad, key] of [
      ['gateway.replicas=0', /replicas/],
      ['gateway.replicas=-1', /replicas/],
      ['image.pullPolicy=Sometimes', /pullPolicy/],
      ['gateway.typo=1', /typo/],
      ['gateway.replicaz=3', /replicaz/],
      ['gateway.networkPolicy.egressCIDRs={nowhere}', /egressCIDRs/],
    ] as const) {
      const refusal = render([bad], { release: 'x' });
      await expect(refusal, bad).rejects.toThrow(/values don't meet the specifications of the schema/);
      await expect(refusal, bad).rejects.toThrow(key);
    }
  });

  describe('on a real kube-apiserver', () => {
    let cluster: Cluster;
    let admin: KubeClient;
    beforeAll(async () => {
      // The chart installs the CRDs itself here.
      cluster = await startCluster({ name: 'helm', applyCrds: false });
      admin = await cluster.client('admin');
      await helm(
        ['install', 'aigateway', CHART, '--namespace', NS, '--create-namespace'],
        cluster.kubeconfigPath('admin'),
      );
    });
    afterAll(async () => {
      await cluster?.stop();
    });

    it('helm install creates the CRDs and every object', async () => {
      await until('CRDs served', async () =>
        (
          await admin.request<{ resources: Array<{ name: string }> }>('GET', '/apis/aigateway.dev/v1alpha1')
        ).resources.some((r) => r.name === 'models'),
      );
      for (const obj of await render()) {
        const found = await admin.find<KubeObject>(await resourcePath(admin, obj));
        expect(found, `${obj.kind} ${obj.metadata.name}`).toBeDefined();
      }
    });

    const installNotes = async () =>
      (
        await helm(
          [
            'install',
            'notes',
            CHART,
            '--namespace',
            NS,
            '--dry-run=server',
            '--set',
            'prometheusRule.enabled=true,gateway.podMonitor.enabled=true,dashboards.enabled=true',
          ],
          cluster.kubeconfigPath('admin'),
        )
      ).split('NOTES:')[1] ?? '';

    it('says at install when a monitor or rule was left out for want of the Prometheus Operator', async () => {
      const notes = await installNotes();
      for (const key of ['gateway.podMonitor', 'prometheusRule'])
        expect(notes).toContain(
          `WARNING: ${key}.enabled is true but this cluster does not serve monitoring.coreos.com/v1`,
        );
      expect(notes).not.toContain('gateway.serviceMonitor.enabled');
      expect(notes).toContain(`ConfigMap notes-aigateway-dashboards in namespace ${NS}, labelled grafana_dashboard=1`);
    });

    it('every object of the values matrix is accepted by the API server (server-side dry run)', async () => {
      const matrix = [
        [],
        ['operator.allNamespaces=true', 'gateway.networkPolicy.enabled=true', 'gateway.autoscaling.enabled=false'],
        [
          'admissionPolicy.enabled=false',
          'gateway.serviceAccountCallers.enabled=false',
          'operator.leaderElection.enabled=false',
          'operator.replicas=1',
        ],
        [
          'fullnameOverride=gw',
          'gateway.podDisruptionBudget.maxUnavailable=50%',
          'admissionPolicy.adminGroups={platform-admins}',
        ],
        [
          'limits.redis.deploy.enabled=true',
          'limits.redis.passwordSecret.name=redis-auth',
          'gateway.networkPolicy.enabled=true',
        ],
        [
          'limits.redis.url=rediss://redis.example.internal:6380',
          'limits.redis.port=6380',
          'limits.redis.passwordSecret.name=redis-auth',
          'limits.redis.tls.caSecret.name=redis-ca',
          'limits.redis.egressCIDRs={10.20.0.0/16}',
          'gateway.networkPolicy.enabled=true',
        ],
      ];
      // Stand-ins for the Prometheus Operator's CRDs, so its objects are checked too.
      const monitoring = [
        ['ServiceMonitor', 'servicemonitors'],
        ['PodMonitor', 'podmonitors'],
        ['PrometheusRule', 'prometheusrules'],
      ];
      for (const [kind, plural] of monitoring)
        await cluster.apply(`
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: ${plural}.monitoring.coreos.com }
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: { kind: ${kind}, plural: ${plural}, singular: ${kind?.toLowerCase()}, listKind: ${kind}List }
  versions:
    - name: v1
      served: true
      storage: true
      schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
`);
      await until('monitoring.coreos.com served', async () => {
        const served = (
          await admin.request<{ resources: Array<{ name: string }> }>('GET', '/apis/monitoring.coreos.com/v1')
        ).resources.map((r) => r.name);
        return monitoring.every(([, plural]) => served.includes(plural as string));
      });
      const withPrometheus = [
        ['gateway.serviceMonitor.enabled=true'],
        [
          'gateway.podMonitor.enabled=true',
          'prometheusRule.enabled=true',
          'prometheusRule.labels.release=prom',
          'dashboards.enabled=true',
          'dashboards.folder=AI',
          'image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
          'gateway.podSecurityContext.runAsUser=null',
          'gateway.podSecurityContext.fsGroup=null',
          'operator.podSecurityContext.runAsUser=null',
        ],
      ];
      const renders = await Promise.all([
        ...matrix.map((set) => render(set)),
        ...withPrometheus.map((set) => render(set, { extra: ['--api-versions', 'monitoring.coreos.com/v1'] })),
      ]);
      const kinds = new Set(renders.slice(matrix.length).flatMap((objects) => objects.map((o) => o.kind)));
      for (const kind of ['ServiceMonitor', 'PodMonitor', 'PrometheusRule', 'ConfigMap']) expect(kinds).toContain(kind);
      // With the API served, no warning at install.
      expect(await installNotes()).not.toContain('WARNING');
      for (const [i, objects] of renders.entries()) {
        const set = [...matrix, ...withPrometheus][i] as string[];
        for (const obj of objects) {
          const path = await resourcePath(admin, obj);
          await expect(
            admin.apply(path, obj, { fieldManager: 'dry-run', dryRun: true }),
            `${obj.kind} ${obj.metadata.name} with ${set.join(',')}`,
          ).resolves.toBeDefined();
        }
      }
    });

    describe('with the chart identities', () => {
      beforeAll(async () => {
        await cluster.apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: model-editors, namespace: ${NS} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: aigateway-model-editor }
subjects:
- { kind: User, name: "${USERS.alice.name}", apiGroup: rbac.authorization.k8s.io }
- { kind: User, name: "${USERS.bob.name}", apiGroup: rbac.authorization.k8s.io }
---
apiVersion: v1
kind: Secret
metadata: { name: aws-keys, namespace: ${NS} }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: prod, namespace: ${NS} }
spec:
  region: us-east-1
  auth: { type: accessKey, accessKey: { secretRef: { name: aws-keys } } }
  collaborators:
  - { subject: "user:${USERS.alice.name}", role: Manager }
  - { subject: "user:${USERS.bob.name}", role: User }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: research, namespace: ${NS} }
spec:
  region: us-west-2
  auth: { type: default }
  collaborators: [ { subject: "team:ml-platform", role: Manager } ]
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: finance, namespace: ${NS} }
spec: { region: us-east-1, auth: { type: default } }
`);
        // The API server picks up a new policy, binding and params asynchronously: wait until it
        // enforces them (a dry-run create by a non-Manager is refused) before testing it.
        const bob = await cluster.client('bob');
        for (const account of ['prod', 'research', 'finance']) {
          await until(
            `admission policy enforced for ${account}`,
            () =>
              bob
                .request('POST', pathFor(RESOURCES.models, NS), {
                  body: {
                    apiVersion: 'aigateway.dev/v1alpha1',
                    kind: 'Model',
                    metadata: { name: 'probe', namespace: NS },
                    spec: { account, modelId: 'amazon.nova-lite-v1:0' },
                  },
                  query: { dryRun: 'All' },
                })
                .then(
                  () => false,
                  (err: unknown) =>
                    err instanceof KubeApiError && err.message.includes(`only Managers of ProviderAccount ${account}`),
                ),
            30_000,
          );
        }
      });

      const newModel = (name: string, account: string) => ({
        apiVersion: 'aigateway.dev/v1alpha1',
        kind: 'Model',
        metadata: { name, namespace: NS },
        spec: { account, modelId: 'amazon.nova-lite-v1:0' },
      });
      async function denied(p: Promise<unknown>): Promise<string> {
        try {
          await p;
        } catch (err) {
          expect(err).toBeInstanceOf(KubeApiError);
          expect((err as KubeApiError).status).toBe(403);
          return (err as KubeApiError).message;
        }
        throw new Error('request was allowed');
      }

      it('lets a Manager (by username or by group) create, change and delete Models of their account', async () => {
        const alice = await cluster.client('alice');
        await alice.create(pathFor(RESOURCES.models, NS), newModel('nova-lite', 'prod'));
        await alice.create(pathFor(RESOURCES.models, NS), newModel('nova-research', 'research')); // team:ml-platform
        await alice.mergePatch(pathFor(RESOURCES.models, NS, 'nova-lite'), { spec: { region: 'us-west-2' } });
        await alice.delete(pathFor(RESOURCES.models, NS, 'nova-research'));
        expect(await admin.find(pathFor(RESOURCES.models, NS, 'nova-research'))).toBeUndefined();
      });

      it('denies everyone else with a message that says who may', async () => {
        const bob = await cluster.client('bob');
        const message = await denied(bob.create(pathFor(RESOURCES.models, NS), newModel('bobs', 'prod')));
        expect(message).toContain(
          `only Managers of ProviderAccount prod may create its Models; ask an admin to add you (user:${USERS.bob.name})`,
        );
        expect(await denied(bob.delete(pathFor(RESOURCES.models, NS, 'nova-lite')))).toContain('may delete its Models');
        expect(
          await denied(bob.mergePatch(pathFor(RESOURCES.models, NS, 'nova-lite'), { spec: { region: 'us-east-2' } })),
        ).toContain('may change its Models');
        // A Manager of one account cannot move a Model into an account they do not manage.
        const alice = await cluster.client('alice');
        expect(
          await denied(alice.mergePatch(pathFor(RESOURCES.models, NS, 'nova-lite'), { spec: { account: 'finance' } })),
        ).toContain('only Managers of ProviderAccount finance may change');
        // Admins are exempt.
        await admin.create(pathFor(RESOURCES.models, NS), newModel('admin-made', 'finance'));
      });

      it("runs the operator with the chart's service account: it publishes, and is refused what it does not need", async () => {
        const warnings: string[] = [];
        const operator = await runOperator({
          kubeConfig: cluster.kubeConfig('operator'),
          namespace: NS,
          leaseNamespace: NS,
          leaseName: 'aigateway-operator',
          outputName: 'aigateway',
          credentialChecks: false,
          retryPeriodMs: 300,
          logger: {
            info() {},
            error: (f, m) => warnings.push(`${m} ${JSON.stringify(f)}`),
            warn: (f, m) => warnings.push(`${m} ${JSON.stringify(f)}`),
          },
        });
        try {
          const cm = await until('config published', async () => {
            const c = await admin.find<KubeObject & { data: Record<string, string> }>(
              pathFor(RESOURCES.configmaps, NS, 'aigateway-config'),
            );
            return c?.data['config.json']?.includes('prod/nova-lite') ? c : undefined;
          });
          expect(cm.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'aigateway-gateway' });
          await until('model status', async () => {
            const m = await admin.get<KubeObject & { status?: { conditions?: Condition[] } }>(
              pathFor(RESOURCES.models, NS, 'nova-lite'),
            );
            return m.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
          });
          await until('event recorded', async () =>
            (await admin.list<KubeObject & { reportingController: string }>(pathFor(RESOURCES.events, NS))).items.some(
              (e) => e.reportingController === 'aigateway.dev/operator',
            ),
          );
          const lease = await admin.get<KubeObject & { spec: { holderIdentity: string } }>(
            pathFor(RESOURCES.leases, NS, 'aigateway-operator'),
          );
          expect(lease.spec.holderIdentity).toBe(operator.identity);
          expect(warnings.filter((w) => /forbidden/i.test(w))).toEqual([]);
        } finally {
          await operator.stop();
        }

        const can = async (
          verb: string,
          resource: string,
          opts: { group?: string; namespace?: string; subresource?: string; name?: string } = {},
        ) => {
          const review = await admin.create<KubeObject & { status: { allowed: boolean } }>(
            '/apis/authorization.k8s.io/v1/subjectaccessreviews',
            {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SubjectAccessReview',
              spec: {
                user: USERS.operator.name,
                groups: USERS.operator.groups,
                resourceAttributes: {
                  verb,
                  resource,
                  group: opts.group ?? '',
                  namespace: opts.namespace ?? NS,
                  subresource: opts.subresource,
                  name: opts.name,
                },
              },
            },
          );
          return review.status.allowed;
        };
        expect(await can('list', 'secrets')).toBe(true);
        expect(await can('patch', 'models', { group: 'aigateway.dev', subresource: 'status' })).toBe(true);
        expect(await can('watch', 'usagepolicies', { group: 'aigateway.dev' })).toBe(true);
        expect(await can('patch', 'usagepolicies', { group: 'aigateway.dev', subresource: 'status' })).toBe(true);
        // It writes status only, never a policy's spec.
        expect(await can('patch', 'usagepolicies', { group: 'aigateway.dev' })).toBe(false);
        expect(await can('update', 'usagepolicies', { group: 'aigateway.dev' })).toBe(false);
        expect(await can('delete', 'usagepolicies', { group: 'aigateway.dev' })).toBe(false);
        expect(await can('watch', 'modelroutes', { group: 'aigateway.dev' })).toBe(true);
        expect(await can('patch', 'modelroutes', { group: 'aigateway.dev', subresource: 'status' })).toBe(true);
        expect(await can('patch', 'modelroutes', { group: 'aigateway.dev' })).toBe(false);
        // Not needed, so not granted:
        expect(await can('list', 'secrets', { namespace: 'default' })).toBe(false);
        expect(await can('delete', 'secrets')).toBe(false);
        expect(await can('update', 'models', { group: 'aigateway.dev' })).toBe(false);
        expect(await can('delete', 'models', { group: 'aigateway.dev' })).toBe(false);
        expect(await can('create', 'deployments', { group: 'apps' })).toBe(false);
        expect(await can('delete', 'pods')).toBe(false);
        expect(await can('update', 'leases', { group: 'coordination.k8s.io', name: 'someone-elses-lease' })).toBe(
          false,
        );
      });

      it("reviews callers' tokens with the chart's gateway service account, which may do nothing else", async () => {
        const mint = async (namespace: string, name: string) =>
          (
            await admin.request<{ status: { token: string } }>(
              'POST',
              `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
              {
                body: {
                  apiVersion: 'authentication.k8s.io/v1',
                  kind: 'TokenRequest',
                  spec: { expirationSeconds: 600 },
                },
              },
            )
          ).status.token;
        await cluster.apply(`
apiVersion: v1
kind: ServiceAccount
metadata: { name: checkout, namespace: ${NS} }
`);
        const kubeconfig = join(cluster.dir, 'kubeconfig-chart-gateway.yaml');
        writeFileSync(
          kubeconfig,
          `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "${cluster.server}", insecure-skip-tls-verify: true } }]
users: [{ name: gw, user: { token: "${await mint(NS, 'aigateway-gateway')}" } }]
contexts: [{ name: gw, context: { cluster: c, user: gw } }]
current-context: gw
`,
          { mode: 0o600 },
        );
        const reviewer = await createTokenReviewer({ kubeconfig });
        try {
          expect(await reviewer.probe()).toBeUndefined();
          expect(await reviewer.review(await mint(NS, 'checkout'))).toMatchObject({
            username: `system:serviceaccount:${NS}:checkout`,
          });
        } finally {
          await reviewer.close();
        }
        const gatewaySa = {
          user: `system:serviceaccount:${NS}:aigateway-gateway`,
          groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'],
        };
        const can = async (verb: string, resource: string, group = '', namespace: string | undefined = NS) => {
          const review = await admin.create<KubeObject & { status: { allowed: boolean } }>(
            '/apis/authorization.k8s.io/v1/subjectaccessreviews',
            {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SubjectAccessReview',
              spec: { ...gatewaySa, resourceAttributes: { verb, resource, group, namespace } },
            },
          );
          return review.status.allowed;
        };
        expect(await can('create', 'tokenreviews', 'authentication.k8s.io', undefined)).toBe(true);
        // Its config comes from a volume; it reads nothing from the API.
        expect(await can('get', 'secrets')).toBe(false);
        expect(await can('list', 'configmaps')).toBe(false);
        expect(await can('create', 'subjectaccessreviews', 'authorization.k8s.io', undefined)).toBe(false);
        expect(await can('patch', 'pods')).toBe(false);
        // Limits are enforced from the mounted config; policies and their status are the operator's.
        expect(await can('list', 'usagepolicies', 'aigateway.dev')).toBe(false);
        expect(await can('patch', 'usagepolicies', 'aigateway.dev')).toBe(false);
        expect(await can('list', 'modelroutes', 'aigateway.dev')).toBe(false);
      });
    });
  });
});
