/**
 * Credentials AWS refused take their account out of service (docs/resources.md): the account says
 * `Ready=False/CredentialsInvalid` with `status.models` 0, its Models say `AccountNotReady`, the
 * published config and credentials no longer carry it, and the gateway neither lists nor routes its
 * models. Credentials that cannot be verified (an STS that never answers) stay in service. An
 * operator restart keeps a refused account out without a flicker, and fixed credentials bring the
 * account and its Models back. Real API server, real operator checks against the emulator's STS,
 * the gateway in cluster mode reading the projected outputs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/src/index.js';
import {
  type CompiledConfig,
  type CompiledCredentials,
  CompiledDirSource,
  type Condition,
} from '../../gateway/src/config/index.js';
import { type RunningGateway, startGateway } from '../../gateway/src/server/index.js';
import { type RunningOperator, runOperator } from '../../operator/src/index.js';
import { type KubeClient, type KubeObject, pathFor, RESOURCES } from '../../operator/src/kube/index.js';
import { type Cluster, kubeSuiteAvailability } from './harness.js';
import { sharedCluster, within } from './helpers.js';
import { VolumeProjector } from './projector.js';

const availability = kubeSuiteAvailability();
const NS = 'refused';
const TOKEN = 'sk-aigw-alice-refused-000000000001';
const GOOD_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const WRONG_SECRET = 'not-the-secret-access-key-0000000000000';

type WithStatus = KubeObject & { status?: { conditions?: Condition[]; models?: number; servedName?: string } };

const condition = (o: WithStatus, type: string) => o.status?.conditions?.find((c) => c.type === type);

describe.skipIf(!availability.run)('an account whose credentials AWS refused', () => {
  let cluster: Cluster;
  let admin: KubeClient;
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  let operator: RunningOperator | undefined;
  let projector: VolumeProjector;
  let gateway: RunningGateway;
  let openai: OpenAI;
  let dir: string;
  // An STS that accepts connections and never answers: the check times out, nothing is refused.
  let tarpit: Server;
  const sockets: Socket[] = [];

  const startOperator = () =>
    runOperator({
      kubeConfig: cluster.kubeConfig('admin'),
      namespace: NS,
      leaderElection: false,
      // Fast rechecks so that fixed credentials are noticed within the test's patience.
      credentialChecks: { timeoutMs: 1000, failedTtlMs: 1500 },
    });

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    tarpit = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => tarpit.listen(0, '127.0.0.1', r));
    const tarpitUrl = `http://127.0.0.1:${(tarpit.address() as { port: number }).port}`;
    cluster = await sharedCluster('refused');
    admin = await cluster.client('admin');
    const endpoints = `endpoint: ${emulator.url}, controlPlaneEndpoint: ${emulator.url}`;
    await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata: { name: ${NS} }
---
apiVersion: v1
kind: Secret
metadata: { name: team-keys, namespace: ${NS} }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: ${GOOD_SECRET} }
---
apiVersion: v1
kind: Secret
metadata: { name: other-keys, namespace: ${NS} }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: ${GOOD_SECRET} }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: alice-key, namespace: ${NS} }
stringData: { token: ${TOKEN}, subject: "user:alice@example.com", teams: "ml-platform" }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: team, namespace: ${NS} }
spec:
  { region: us-east-1, ${endpoints}, stsEndpoint: ${emulator.url}, auth: { type: accessKey, accessKey: { secretRef: { name: team-keys } } }, collaborators: [ { subject: "team:ml-platform", role: User } ] }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: haiku, namespace: ${NS} }
spec: { account: team, modelId: "anthropic.claude-3-haiku-20240307-v1:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: unverifiable, namespace: ${NS} }
spec:
  { region: us-east-1, ${endpoints}, stsEndpoint: ${tarpitUrl}, auth: { type: accessKey, accessKey: { secretRef: { name: other-keys } } }, collaborators: [ { subject: "team:ml-platform", role: User } ] }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova, namespace: ${NS} }
spec: { account: unverifiable, modelId: "amazon.nova-lite-v1:0" }
`);
    operator = await startOperator();
    dir = mkdtempSync(join(tmpdir(), 'aigw-refused-'));
    projector = new VolumeProjector(await cluster.client('admin'), {
      namespace: NS,
      configMap: 'aigateway-config',
      secret: 'aigateway-credentials',
      dir,
    });
    projector.start();
    gateway = await startGateway({
      source: new CompiledDirSource(dir),
      host: '127.0.0.1',
      port: 0,
      adminPort: 0,
      requireConfig: false,
      watch: { pollIntervalMs: 200, debounceMs: 20 },
      logger: pino({ level: 'silent' }),
    });
    openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TOKEN, maxRetries: 0 });
  });
  afterAll(async () => {
    await gateway?.close();
    await projector?.stop();
    await operator?.stop();
    await cluster?.stop();
    await emulator?.close();
    for (const s of sockets) s.destroy();
    tarpit?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const account = (name: string) => admin.get<WithStatus>(pathFor(RESOURCES.provideraccounts, NS, name));
  const model = (name: string) => admin.get<WithStatus>(pathFor(RESOURCES.models, NS, name));
  const listed = async () => (await openai.models.list()).data.map((m) => m.id).sort();
  const say = (name: string) =>
    openai.chat.completions.create({ model: name, messages: [{ role: 'user', content: 'Say hi' }], max_tokens: 8 });
  const outputs = async () => {
    const cm = await admin.get<KubeObject & { data: Record<string, string> }>(
      pathFor(RESOURCES.configmaps, NS, 'aigateway-config'),
    );
    const secret = await admin.get<KubeObject & { data: Record<string, string> }>(
      pathFor(RESOURCES.secrets, NS, 'aigateway-credentials'),
    );
    const credentialsText = Buffer.from(secret.data['credentials.json'] ?? '', 'base64').toString('utf8');
    return {
      cm,
      config: JSON.parse(cm.data['config.json'] ?? '{}') as CompiledConfig,
      credentials: JSON.parse(credentialsText) as CompiledCredentials,
      credentialsText,
    };
  };
  const setSecretKey = (value: string) =>
    admin.mergePatch(pathFor(RESOURCES.secrets, NS, 'team-keys'), { stringData: { AWS_SECRET_ACCESS_KEY: value } });

  it('serves both accounts while their credentials work or cannot be verified', async () => {
    await within(
      15_000,
      'team verified',
      async () => condition(await account('team'), 'CredentialsReady')?.reason === 'Verified',
    );
    const slow = await within(20_000, 'unverifiable judged', async () => {
      const a = await account('unverifiable');
      return condition(a, 'CredentialsReady')?.reason === 'Timeout' ? a : undefined;
    });
    // A check that could not reach STS refuses nothing: in service, and CredentialsReady says why.
    expect(condition(slow, 'CredentialsReady')?.status).toBe('False');
    expect(condition(slow, 'Ready')).toMatchObject({ status: 'True', reason: 'Compiled' });
    expect(slow.status?.models).toBe(1);
    await within(5000, 'both listed', async () => (await listed()).length === 2);
    expect(await listed()).toEqual(['team/haiku', 'unverifiable/nova']);
    expect((await say('team/haiku')).choices[0]?.message.content).toBeTruthy();
    expect((await say('unverifiable/nova')).choices[0]?.message.content).toBeTruthy();
  });

  it('takes the account and its models out of service once AWS refuses a wrong secret key', async () => {
    await setSecretKey(WRONG_SECRET);
    const refused = await within(15_000, 'team refused', async () => {
      const a = await account('team');
      return condition(a, 'CredentialsReady')?.reason === 'AccessDenied' && a.status?.models === 0 ? a : undefined;
    });
    expect(condition(refused, 'CredentialsReady')?.status).toBe('False');
    expect(condition(refused, 'Ready')).toMatchObject({ status: 'False', reason: 'CredentialsInvalid' });
    expect(condition(refused, 'Ready')?.message).toContain('not served');
    const haiku = await within(5000, 'haiku not ready', async () => {
      const m = await model('haiku');
      return condition(m, 'Ready')?.status === 'False' ? m : undefined;
    });
    expect(condition(haiku, 'Ready')?.reason).toBe('AccountNotReady');
    expect(condition(haiku, 'Ready')?.message).toContain("ProviderAccount 'team' is out of service");
    // Ready is the Model's only condition: the account's credentials are reported on the account.
    expect(haiku.status?.conditions?.map((c) => c.type)).toEqual(['Ready']);

    // Not published: neither the account, its model nor the refused secret.
    const out = await within(5000, 'team unpublished', async () => {
      const o = await outputs();
      return o.config.accounts.every((a) => a.name !== 'team') ? o : undefined;
    });
    expect(out.config.models.map((m) => m.servedName)).toEqual(['unverifiable/nova']);
    expect(Object.keys(out.credentials.accounts)).toEqual(['unverifiable']);
    expect(out.credentialsText).not.toContain(WRONG_SECRET);

    // The gateway neither lists nor routes it; the unverifiable account is untouched.
    await within(5000, 'gateway drops team/haiku', async () => !(await listed()).includes('team/haiku'));
    expect(await listed()).toEqual(['unverifiable/nova']);
    const err = await say('team/haiku').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    expect((await say('unverifiable/nova')).choices[0]?.message.content).toBeTruthy();
  });

  it('keeps a refused account out through an operator restart, without rewriting or recording anything', async () => {
    const before = await outputs();
    const statusVersions = async () =>
      Promise.all(
        [
          pathFor(RESOURCES.provideraccounts, NS, 'team'),
          pathFor(RESOURCES.provideraccounts, NS, 'unverifiable'),
          pathFor(RESOURCES.models, NS, 'haiku'),
          pathFor(RESOURCES.models, NS, 'nova'),
        ].map(async (p) => (await admin.get<KubeObject>(p)).metadata.resourceVersion),
      );
    const events = async () =>
      (await admin.list<KubeObject>(pathFor(RESOURCES.events, NS))).items.map((e) => e.metadata.name).sort();
    const versionsBefore = await statusVersions();
    const eventsBefore = await events();
    await operator?.stop();
    operator = await startOperator();
    await new Promise<void>((resolve) => operator?.events.once('reconciled', () => resolve()));
    // Let the rechecks of both accounts finish and be reconciled.
    await new Promise((r) => setTimeout(r, 3000));
    const after = await outputs();
    expect(after.cm.metadata.resourceVersion).toBe(before.cm.metadata.resourceVersion);
    expect(after.config.revision).toBe(before.config.revision);
    expect(await statusVersions()).toEqual(versionsBefore);
    expect(await events()).toEqual(eventsBefore);
    expect(await listed()).toEqual(['unverifiable/nova']);
  });

  it('brings the account and its models back when the credentials work again', async () => {
    await setSecretKey(GOOD_SECRET);
    const back = await within(15_000, 'team verified again', async () => {
      const a = await account('team');
      return condition(a, 'CredentialsReady')?.reason === 'Verified' ? a : undefined;
    });
    expect(condition(back, 'Ready')).toMatchObject({ status: 'True', reason: 'Compiled' });
    expect(back.status?.models).toBe(1);
    const haiku = await within(5000, 'haiku served', async () => {
      const m = await model('haiku');
      return condition(m, 'Ready')?.reason === 'Served' ? m : undefined;
    });
    expect(haiku.status?.servedName).toBe('team/haiku');
    await within(5000, 'gateway lists team/haiku', async () => (await listed()).includes('team/haiku'));
    expect((await say('team/haiku')).choices[0]?.message.content).toBeTruthy();
    expect((await outputs()).credentialsText).not.toContain(WRONG_SECRET);
  });
});
