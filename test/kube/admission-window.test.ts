/**
 * The Manager admission policy while the API server cannot resolve its paramKind yet (docs/install.md,
 * "The window after an API server start"). Kubernetes resolves `paramKind` through a discovery cache
 * it refreshes every 30 s and reports a miss as a configuration error before evaluating the admin
 * exemption. The window is made deterministic here by installing the policy before the CRDs (the
 * cache then misses ProviderAccount until its next refresh), and then shown across real restarts of
 * kube-apiserver:
 * - with the chart's default (`failurePolicy: Ignore`) an admin's Model write succeeds at once;
 * - with `Fail` the same write is refused, admins included (why the default is Ignore);
 * - the window closes by itself: within the refresh period non-Managers are refused again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError, type KubeClient, pathFor, RESOURCES } from '../../operator/src/kube/index.js';
import { type Cluster, kubeSuiteAvailability, parseYamlObjects, readCrds, startCluster, USERS } from './harness.js';
import { CHART, helm, until } from './helpers.js';

const availability = kubeSuiteAvailability(['kube-apiserver', 'etcd', 'helm']);
const NS = 'window';

/** The chart's policy and binding, as `helm template` renders them with `set`. */
async function renderPolicy(set: string[] = []): Promise<string> {
  return helm([
    'template',
    'aigateway',
    CHART,
    '--namespace',
    NS,
    '--show-only',
    'templates/admission-policy.yaml',
    ...set.flatMap((s) => ['--set', s]),
  ]);
}

const model = (name: string, account: string) => ({
  apiVersion: 'aigateway.dev/v1alpha1',
  kind: 'Model',
  metadata: { name, namespace: NS },
  spec: { account, modelId: 'amazon.nova-lite-v1:0' },
});

/** Creates a Model (dry run: nothing is stored), resolving with 'ok' or the API server's refusal. */
async function tryCreate(client: KubeClient, account: string): Promise<string> {
  try {
    await client.request('POST', pathFor(RESOURCES.models, NS), {
      body: model(`probe-${Date.now().toString(36)}`, account),
      query: { dryRun: 'All' },
      timeoutMs: 5000,
    });
    return 'ok';
  } catch (err) {
    return err instanceof KubeApiError ? `${err.status}: ${err.message}` : `error: ${String(err)}`;
  }
}

/** Retries `tryCreate` while the API server is still coming up (connection refused, 503, 429). */
async function firstAnswer(client: KubeClient, account: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await tryCreate(client, account);
    const starting =
      out.startsWith('error:') ||
      out.startsWith('0:') ||
      out.startsWith('503:') ||
      out.startsWith('429:') ||
      out.includes('before all known HTTP paths');
    if (!starting || Date.now() > deadline) return out;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!availability.run)(
  'the Manager admission policy while the API server cannot resolve its params',
  () => {
    let cluster: Cluster;
    let admin: KubeClient;
    let bob: KubeClient;
    /** When the window opened: the API server started with the policy and without the CRDs. */
    let opened = 0;

    beforeAll(async () => {
      cluster = await startCluster({ name: 'window', applyCrds: false });
      admin = await cluster.client('admin');
      bob = await cluster.client('bob');
      await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata: { name: ${NS} }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: model-editor, namespace: ${NS} }
rules: [ { apiGroups: [aigateway.dev], resources: [models], verbs: [create, update, patch, delete] } ]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: bob, namespace: ${NS} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: model-editor }
subjects: [ { apiGroup: rbac.authorization.k8s.io, kind: User, name: "${USERS.bob.name}" } ]
`);
      // The window, made deterministic: an API server that starts with the policy but before the CRDs
      // exist caches "no ProviderAccount" in its discovery cache until the next 30 s refresh.
      await cluster.apply(await renderPolicy(['admissionPolicy.failurePolicy=Fail']));
      await cluster.restartApiServer();
      opened = Date.now();
      await cluster.apply(readCrds());
      // Applied by path: the CRD may take a moment to be served.
      const [account] = parseYamlObjects(`
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: prod, namespace: ${NS} }
spec: { region: us-east-1, auth: { type: default }, collaborators: [ { subject: "user:${USERS.alice.name}", role: Manager } ] }
`);
      await until('ProviderAccount served', async () => {
        await admin.apply(pathFor(RESOURCES.provideraccounts, NS, 'prod'), account, { fieldManager: 'aigw-tests' });
        return true;
      });
    });
    afterAll(async () => {
      await cluster?.stop();
    });

    it("with failurePolicy Fail, refuses every Model write in the window, an admin's too", async () => {
      let answer = '';
      await until('the window shows', async () => {
        answer = await tryCreate(admin, 'prod');
        return answer.includes('failed to find resource referenced by paramKind');
      });
      expect(answer).toMatch(/^422: .*failed to configure policy: failed to find resource referenced by paramKind/);
      expect(Date.now() - opened).toBeLessThan(25_000);
    });

    it('with the default (Ignore), lets an admin write in the same window; the Manager check is skipped there', async () => {
      await cluster.apply(await renderPolicy());
      // The policy update takes effect within about a second.
      let answer = '';
      await until('admins pass', async () => {
        answer = await tryCreate(admin, 'prod');
        return answer === 'ok';
      });
      expect(answer).toBe('ok');
      // The documented remaining window: a non-Manager with RBAC rights on Models is not checked either.
      expect(await tryCreate(bob, 'prod')).toBe('ok');
      expect(Date.now() - opened).toBeLessThan(28_000);
    });

    it('closes the window by itself within the 30 s discovery refresh: non-Managers are refused again', {
      timeout: 60_000,
    }, async () => {
      let last = '';
      await until(
        'Manager check back',
        async () => {
          last = await tryCreate(bob, 'prod');
          return last.includes('only Managers of ProviderAccount prod');
        },
        45_000,
      );
      expect(last).toMatch(/^403: .*only Managers of ProviderAccount prod may create its Models/);
      // At most one refresh period (30 s) after the API server started, plus polling slack.
      expect(Date.now() - opened).toBeLessThan(40_000);
      expect(await tryCreate(admin, 'prod')).toBe('ok');
    });

    it('lets an admin write at the first request a restarted API server answers', { timeout: 180_000 }, async () => {
      for (let round = 0; round < 2; round++) {
        await cluster.restartApiServer({ waitForReady: false });
        expect(await firstAnswer(admin, 'prod')).toBe('ok');
        // And the Manager check holds for others once it can be evaluated.
        await until(
          'Manager check after restart',
          async () => (await tryCreate(bob, 'prod')).includes('only Managers of ProviderAccount prod'),
          45_000,
        );
      }
    });
  },
);
