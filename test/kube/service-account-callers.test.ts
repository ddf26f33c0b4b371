/**
 * In-cluster callers with their service-account token, against a real kube-apiserver: tokens are
 * minted with the TokenRequest API (as kubelet does for projected volumes), the gateway reviews them
 * with TokenReview under its own service account holding only the chart's `create tokenreviews`
 * right, and callers use the official openai SDK with the token as their api key.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/src/index.js';
import {
  COMPILED_CONFIG_FILE,
  COMPILED_CREDENTIALS_FILE,
  CompiledDirSource,
  compileConfig,
  parseManifestText,
  type ResourceSet,
} from '../../gateway/src/config/index.js';
import {
  createTokenReviewer,
  type RunningGateway,
  startGateway,
  type TokenReviewer,
} from '../../gateway/src/server/index.js';
import type { KubeClient } from '../../operator/src/kube/index.js';
import { spawnGateway } from '../helpers/stack.js';
import { type Cluster, kubeSuiteAvailability } from './harness.js';
import { aigwCli, sharedCluster, until } from './helpers.js';

const availability = kubeSuiteAvailability();
const CONFIG_NS = 'ai';
const GATEWAY_NS = 'aigateway-system';
const GATEWAY_SA = 'aigateway-gateway';
const CHAT_MODEL = 'bedrock/amazon-nova-lite-v1-0';
const PAYMENTS_MODEL = 'payments/amazon-nova-lite-v1-0-payments';

describe.skipIf(!availability.run)('in-cluster callers authenticated with TokenReview', () => {
  let cluster: Cluster;
  let admin: KubeClient;
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  let dir: string;
  const gateways: RunningGateway[] = [];
  const reviewers: TokenReviewer[] = [];

  /** Mints a service-account token with the TokenRequest API (what kubelet projects into pods). */
  async function mintToken(namespace: string, name: string, audiences?: string[]): Promise<string> {
    const answer = await admin.request<{ status: { token: string } }>(
      'POST',
      `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
      {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: 3600, ...(audiences ? { audiences } : {}) },
        },
      },
    );
    return answer.status.token;
  }

  /** A kubeconfig file that authenticates with `token` (the gateway's own identity). */
  function kubeconfigWithToken(name: string, token: string): string {
    const path = join(dir, `kubeconfig-${name}`);
    writeFileSync(
      path,
      `apiVersion: v1
kind: Config
clusters: [{ name: test, cluster: { server: "${cluster.server}", insecure-skip-tls-verify: true } }]
users: [{ name: ${name}, user: { token: "${token}" } }]
contexts: [{ name: ${name}, context: { cluster: test, user: ${name} } }]
current-context: ${name}
`,
      { mode: 0o600 },
    );
    return path;
  }

  /** A gateway on the compiled config whose reviewer runs as `kubeconfig`'s identity. */
  async function startReviewingGateway(
    kubeconfig: string,
    options: { audiences?: string[]; cacheTtlMs?: number } = {},
  ): Promise<RunningGateway> {
    const reviewer = await createTokenReviewer({ kubeconfig, ...options });
    reviewers.push(reviewer);
    const gateway = await startGateway({
      source: new CompiledDirSource(join(dir, 'compiled')),
      port: 0,
      adminPort: null,
      logger: pino({ level: 'silent' }),
      mediaFetcher: null,
      watch: false,
      identityReviewer: reviewer,
    });
    gateways.push(gateway);
    return gateway;
  }

  function openai(gateway: RunningGateway, token: string): OpenAI {
    // No SDK retries: a 503 must reach the test as it left the gateway.
    return new OpenAI({ apiKey: token, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  }

  async function chatStatus(gateway: RunningGateway, token: string, model = CHAT_MODEL): Promise<number> {
    try {
      await openai(gateway, token).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
      return 200;
    } catch (err) {
      if (err instanceof OpenAI.APIError) return err.status ?? 0;
      throw err;
    }
  }

  let gateway: RunningGateway;
  let checkoutToken: string;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    cluster = await sharedCluster('sa-callers');
    admin = await cluster.client('admin');
    dir = mkdtempSync(join(tmpdir(), 'aigw-sa-callers-'));

    await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata: { name: apps }
---
apiVersion: v1
kind: Namespace
metadata: { name: payments }
---
apiVersion: v1
kind: Namespace
metadata: { name: ${GATEWAY_NS} }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: checkout, namespace: apps }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: intruder, namespace: apps }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: short-lived, namespace: apps }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: billing, namespace: payments }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: ${GATEWAY_SA}, namespace: ${GATEWAY_NS} }
---
# The rights the chart grants the gateway when gateway.serviceAccountCallers.enabled (and no others).
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: aigateway-gateway-token-review }
rules:
  - { apiGroups: [authentication.k8s.io], resources: [tokenreviews], verbs: [create] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: aigateway-gateway-token-review }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: aigateway-gateway-token-review }
subjects: [ { kind: ServiceAccount, name: ${GATEWAY_SA}, namespace: ${GATEWAY_NS} } ]
`);

    // The compiled config the operator would publish: one account for apps/checkout (and the
    // short-lived account), one for every service account of the payments namespace (its group).
    const resources: ResourceSet = { accounts: [], models: [], secrets: [] };
    parseManifestText(
      `
apiVersion: v1
kind: Secret
metadata: { name: aws-keys, namespace: ${CONFIG_NS} }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: bedrock, namespace: ${CONFIG_NS} }
spec:
  provider: aws-bedrock
  region: us-east-1
  endpoint: ${emulator.url}
  auth: { type: accessKey, accessKey: { secretRef: { name: aws-keys } } }
  collaborators:
    - { subject: "serviceaccount:apps:checkout", role: User }
    - { subject: "serviceaccount:apps:short-lived", role: User }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: payments, namespace: ${CONFIG_NS} }
spec:
  provider: aws-bedrock
  region: us-east-1
  endpoint: ${emulator.url}
  auth: { type: accessKey, accessKey: { secretRef: { name: aws-keys } } }
  collaborators:
    - { subject: "team:system:serviceaccounts:payments", role: User }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: amazon-nova-lite-v1-0, namespace: ${CONFIG_NS} }
spec: { account: bedrock, modelId: "amazon.nova-lite-v1:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: amazon-nova-lite-v1-0-payments, namespace: ${CONFIG_NS} }
spec: { account: payments, modelId: "amazon.nova-lite-v1:0" }
`,
      'inline.yaml',
      resources,
    );
    const compiled = compileConfig(resources, { namespace: CONFIG_NS });
    expect(compiled.problems).toEqual([]);
    const compiledDir = join(dir, 'compiled');
    mkdirSync(compiledDir);
    writeFileSync(join(compiledDir, COMPILED_CONFIG_FILE), JSON.stringify(compiled.config));
    writeFileSync(join(compiledDir, COMPILED_CREDENTIALS_FILE), JSON.stringify(compiled.credentials));

    const gatewayToken = await mintToken(GATEWAY_NS, GATEWAY_SA);
    gateway = await startReviewingGateway(kubeconfigWithToken('gateway', gatewayToken), { cacheTtlMs: 1_000 });
    checkoutToken = await mintToken('apps', 'checkout');
  }, 180_000);

  afterAll(async () => {
    for (const g of gateways) await g.close();
    for (const r of reviewers) await r.close();
    await emulator?.close();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves a listed service account that presents its token through the openai SDK', async () => {
    const client = openai(gateway, checkoutToken);
    const completion = await client.chat.completions.create({
      model: CHAT_MODEL,
      messages: [{ role: 'user', content: 'Say hello.' }],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.content).toBeTruthy();
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    expect(models).toContain(CHAT_MODEL);
    // Not a collaborator of the payments account: its model is neither listed nor callable.
    expect(models).not.toContain(PAYMENTS_MODEL);
    expect(await chatStatus(gateway, checkoutToken, PAYMENTS_MODEL)).toBe(403);
  });

  it('refuses (403) a valid service account that is not a collaborator, and hides the model from it', async () => {
    const intruder = await mintToken('apps', 'intruder');
    const err = await openai(gateway, intruder)
      .chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('model_access_denied');
    const models = [];
    for await (const m of openai(gateway, intruder).models.list()) models.push(m.id);
    expect(models).toEqual([]);
  });

  it('answers 401 invalid_api_key to a forged or tampered JWT without echoing it', async () => {
    const [header, payload] = checkoutToken.split('.');
    const forged = `${header}.${payload}.${Buffer.from('not-the-signature').toString('base64url')}`;
    const garbage = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwczpjaGVja291dCJ9.c2ln';
    for (const token of [forged, garbage]) {
      const err = await openai(gateway, token)
        .chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
      const apiErr = err as InstanceType<typeof OpenAI.APIError>;
      expect(apiErr.code).toBe('invalid_api_key');
      expect(JSON.stringify(apiErr.error)).not.toContain(token.split('.')[2]);
    }
  });

  it('matches a team:G collaborator against the Kubernetes groups TokenReview reports', async () => {
    // Service-account tokens carry the group system:serviceaccounts:<namespace>.
    const billing = await mintToken('payments', 'billing');
    expect(await chatStatus(gateway, billing, PAYMENTS_MODEL)).toBe(200);
    expect(await chatStatus(gateway, billing, CHAT_MODEL)).toBe(403);
    const models = [];
    for await (const m of openai(gateway, billing).models.list()) models.push(m.id);
    expect(models).toEqual([PAYMENTS_MODEL]);
  });

  it('stops accepting the token of a deleted service account once the caches expire', async () => {
    const token = await mintToken('apps', 'short-lived');
    expect(await chatStatus(gateway, token)).toBe(200);
    await admin.delete('/api/v1/namespaces/apps/serviceaccounts/short-lived');
    // This gateway caches accepted tokens for 1 s; kube-apiserver caches successful token
    // authentications itself for 10 s, so revocation shows within about 11 s.
    const deadline = Date.now() + 20_000;
    let status = await chatStatus(gateway, token);
    while (status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      status = await chatStatus(gateway, token);
    }
    expect(status).toBe(401);
  }, 60_000);

  it('with a dedicated audience, accepts tokens minted for it and refuses API-server tokens', async () => {
    const gatewayToken = await mintToken(GATEWAY_NS, GATEWAY_SA);
    const strict = await startReviewingGateway(kubeconfigWithToken('gateway-strict', gatewayToken), {
      audiences: ['aigateway'],
    });
    expect(await chatStatus(strict, await mintToken('apps', 'checkout', ['aigateway']))).toBe(200);
    expect(await chatStatus(strict, checkoutToken)).toBe(401);
    // And the other way round: a token for the gateway is no good to the default reviewer.
    expect(await chatStatus(gateway, await mintToken('apps', 'checkout', ['aigateway']))).toBe(401);
  });

  it('aigw serve --token-review accepts service-account callers, reviewing as the KUBECONFIG identity', async () => {
    const kubeconfig = kubeconfigWithToken('gateway-cli', await mintToken(GATEWAY_NS, GATEWAY_SA));
    const child = await spawnGateway(
      ['--compiled-config', join(dir, 'compiled'), '--token-review'],
      {
        KUBECONFIG: kubeconfig,
      },
      aigwCli(),
    );
    try {
      await until('gateway ready', async () => (await fetch(`${child.adminUrl}/readyz`)).ok, 10_000);
      const models = [];
      for await (const m of new OpenAI({
        apiKey: checkoutToken,
        baseURL: `${child.url}/v1`,
        maxRetries: 0,
      }).models.list())
        models.push(m.id);
      expect(models).toEqual([CHAT_MODEL]);
      expect(child.output()).toContain('token review: in-cluster service-account callers accepted');
      expect(child.output()).not.toContain(checkoutToken);
    } finally {
      child.kill();
      await child.exited;
    }
  }, 120_000);

  it('aigw serve --token-review warns at startup when the gateway may not create TokenReviews', async () => {
    const child = await spawnGateway(
      ['--compiled-config', join(dir, 'compiled'), '--token-review'],
      {
        KUBECONFIG: cluster.kubeconfigPath('bob'),
      },
      aigwCli(),
    );
    try {
      expect(child.output()).toMatch(/token review: Kubernetes TokenReview failed: the API server answered 403/);
      // API keys are unaffected; a service-account token gets 503 rather than a misleading 401.
      const res = await fetch(`${child.url}/v1/models`, { headers: { authorization: `Bearer ${checkoutToken}` } });
      expect(res.status).toBe(503);
    } finally {
      child.kill();
      await child.exited;
    }
  }, 120_000);

  it('answers 503, not 401, when the gateway itself may not create TokenReviews', async () => {
    // bob has no RBAC on tokenreviews: the API server answers 403 to the gateway.
    const unprivileged = await startReviewingGateway(cluster.kubeconfigPath('bob'));
    const err = await openai(unprivileged, checkoutToken)
      .chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toMatch(/could not verify the service-account token/);
  });
});
