/**
 * The whole cluster path, out of cluster: `kubectl apply` on a real API server → operator → compiled
 * ConfigMap + credentials Secret → files on disk (projected like kubelet does) → the gateway in
 * cluster mode (`--compiled-config`) → Bedrock emulator. A new Model is served within 5 s of being
 * applied and stops being served when deleted; CredentialsReady comes from STS and Bedrock calls the
 * operator really makes against the emulator.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/src/index.js';
import { CompiledDirSource, type Condition } from '../../gateway/src/config/index.js';
import { type RunningGateway, startGateway } from '../../gateway/src/server/index.js';
import { type RunningOperator, runOperator } from '../../operator/src/index.js';
import { type KubeClient, type KubeObject, pathFor, RESOURCES } from '../../operator/src/kube/index.js';
import { spawnGateway } from '../helpers/stack.js';
import { type Cluster, kubeSuiteAvailability, REPO_ROOT } from './harness.js';
import { aigwCli, sharedCluster, within } from './helpers.js';
import { VolumeProjector } from './projector.js';

const availability = kubeSuiteAvailability();
const NS = 'team-a';
const TOKEN = 'sk-aigw-alice-0000000000000001';

describe.skipIf(!availability.run)('gateway in cluster mode, fed by the operator', () => {
  let cluster: Cluster;
  let admin: KubeClient;
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  let operator: RunningOperator;
  let projector: VolumeProjector;
  let gateway: RunningGateway;
  let dir: string;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    cluster = await sharedCluster('gateway');
    admin = await cluster.client('admin');
    const endpoints = `endpoint: ${emulator.url}, controlPlaneEndpoint: ${emulator.url}, stsEndpoint: ${emulator.url}`;
    const endpointLines = `endpoint: ${emulator.url}\n  controlPlaneEndpoint: ${emulator.url}\n  stsEndpoint: ${emulator.url}`;
    await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata: { name: ${NS} }
---
apiVersion: v1
kind: Secret
metadata: { name: aws-keys, namespace: ${NS} }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY }
---
apiVersion: v1
kind: Secret
metadata: { name: wrong-keys, namespace: ${NS} }
stringData: { AWS_ACCESS_KEY_ID: AKIAWRONGWRONGWRONG1, AWS_SECRET_ACCESS_KEY: not-the-secret }
---
apiVersion: v1
kind: Secret
metadata: { name: bedrock-api-key, namespace: ${NS} }
stringData: { apiKey: ABSKRW11bGF0b3JEZW1vS2V5 }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: alice-key, namespace: ${NS} }
stringData: { token: ${TOKEN}, subject: "user:alice@example.com", teams: "ml-platform" }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: bedrock, namespace: ${NS} }
spec:
  { region: us-east-1, ${endpoints}, auth: { type: accessKey, accessKey: { secretRef: { name: aws-keys } } }, collaborators: [ { subject: "team:ml-platform", role: User } ] }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: role, namespace: ${NS} }
spec:
  region: us-east-1
  ${endpointLines}
  auth:
    type: assumeRole
    assumeRole: { roleArn: "arn:aws:iam::111122223333:role/BedrockAccess", externalId: aigw-demo-external-id, sourceSecretRef: { name: aws-keys } }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: role-wrong-external-id, namespace: ${NS} }
spec:
  region: us-east-1
  ${endpointLines}
  auth:
    type: assumeRole
    assumeRole: { roleArn: "arn:aws:iam::111122223333:role/BedrockAccess", externalId: not-the-external-id, sourceSecretRef: { name: aws-keys } }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: bad-keys, namespace: ${NS} }
spec: { region: us-east-1, ${endpoints}, auth: { type: accessKey, accessKey: { secretRef: { name: wrong-keys } } } }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: apikey, namespace: ${NS} }
spec: { region: us-east-1, ${endpoints}, auth: { type: apiKey, apiKey: { secretRef: { name: bedrock-api-key } } } }
`);
    operator = await runOperator({ kubeConfig: cluster.kubeConfig('admin'), namespace: NS, leaderElection: false });
    dir = mkdtempSync(join(tmpdir(), 'aigw-compiled-'));
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
      watch: { pollIntervalMs: 1000, debounceMs: 50 },
      logger: pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await projector?.stop();
    await operator?.stop();
    await cluster?.stop();
    await emulator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const listModels = async (): Promise<string[]> => {
    const res = await fetch(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (res.status !== 200) return [];
    return ((await res.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
  };
  const chat = (model: string) =>
    fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hi' }], max_tokens: 16 }),
    });

  it('serves a newly applied Model within 5 s, and stops serving it once deleted', async () => {
    const applied = Date.now();
    await cluster.apply(`
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova-lite, namespace: ${NS} }
spec: { account: bedrock, modelId: "amazon.nova-lite-v1:0" }
`);
    await within(5000, 'bedrock/nova-lite listed', async () => (await listModels()).includes('bedrock/nova-lite'));
    expect(Date.now() - applied).toBeLessThan(5000);
    const res = await chat('bedrock/nova-lite');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { model: string; choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]?.message.content.length).toBeGreaterThan(0);

    const deleted = Date.now();
    await admin.delete(pathFor(RESOURCES.models, NS, 'nova-lite'));
    await within(5000, 'bedrock/nova-lite gone', async () => !(await listModels()).includes('bedrock/nova-lite'));
    expect(Date.now() - deleted).toBeLessThan(5000);
    expect((await chat('bedrock/nova-lite')).status).toBe(404);
  });

  it('verifies credentials for real: STS GetCallerIdentity, AssumeRole with the external id, a Bedrock call for API keys', async () => {
    const credentialsReady = async (name: string) =>
      within(15_000, `${name} CredentialsReady decided`, async () => {
        const a = await admin.get<KubeObject & { status?: { conditions?: Condition[] } }>(
          pathFor(RESOURCES.provideraccounts, NS, name),
        );
        const c = a.status?.conditions?.find((x) => x.type === 'CredentialsReady');
        return c && c.status !== 'Unknown' ? c : undefined;
      });
    expect(await credentialsReady('bedrock')).toMatchObject({ status: 'True', reason: 'Verified' });
    expect((await credentialsReady('bedrock')).message).toContain('GetCallerIdentity');
    expect(await credentialsReady('role')).toMatchObject({ status: 'True', reason: 'Verified' });
    expect((await credentialsReady('role')).message).toContain('AssumeRole');
    expect(await credentialsReady('apikey')).toMatchObject({ status: 'True', reason: 'Verified' });
    const wrongKeys = await credentialsReady('bad-keys');
    expect(wrongKeys).toMatchObject({ status: 'False', reason: 'AccessDenied' });
    expect(await credentialsReady('role-wrong-external-id')).toMatchObject({ status: 'False', reason: 'AccessDenied' });
    // An account whose credentials do not work is not Ready, and says why.
    const bad = await admin.get<KubeObject & { status?: { conditions?: Condition[] } }>(
      pathFor(RESOURCES.provideraccounts, NS, 'bad-keys'),
    );
    expect(bad.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'CredentialsInvalid',
    });
    // The checks really went to the emulator's STS.
    expect(emulator.state.stats.sts.GetCallerIdentity).toBeGreaterThanOrEqual(1);
    expect(emulator.state.stats.sts.AssumeRole).toBeGreaterThanOrEqual(1);
  });

  it('works the same with the real processes: `aigw operator` and `aigw serve --compiled-config`', async () => {
    const ns = 'team-b';
    await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata: { name: ${ns} }
---
apiVersion: v1
kind: Secret
metadata: { name: aws-keys, namespace: ${ns} }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: alice-key, namespace: ${ns} }
stringData: { token: ${TOKEN}, subject: "user:alice@example.com", teams: "ml-platform" }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: bedrock, namespace: ${ns} }
spec:
  region: us-east-1
  endpoint: ${emulator.url}
  stsEndpoint: ${emulator.url}
  auth: { type: accessKey, accessKey: { secretRef: { name: aws-keys } } }
  collaborators: [ { subject: "team:ml-platform", role: User } ]
`);
    const operatorProcess = spawn(
      process.execPath,
      [aigwCli(), 'operator', '--namespace', ns, '--kubeconfig', cluster.kubeconfigPath('admin')],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let operatorLog = '';
    operatorProcess.stderr?.on('data', (d: Buffer) => {
      operatorLog += d.toString();
    });
    operatorProcess.stdout?.on('data', (d: Buffer) => {
      operatorLog += d.toString();
    });
    const processDir = mkdtempSync(join(tmpdir(), 'aigw-compiled-proc-'));
    const processProjector = new VolumeProjector(await cluster.client('admin'), {
      namespace: ns,
      configMap: 'aigateway-config',
      secret: 'aigateway-credentials',
      dir: processDir,
    });
    processProjector.start();
    const child = await spawnGateway(['--compiled-config', processDir], {}, aigwCli());
    try {
      const models = async () => {
        const res = await fetch(`${child.url}/v1/models`, { headers: { authorization: `Bearer ${TOKEN}` } });
        return res.status === 200 ? ((await res.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id) : [];
      };
      // The operator process takes the Lease first, then publishes.
      await within(
        20_000,
        `operator process published (log: ${operatorLog.slice(-500)})`,
        async () => (await admin.find(pathFor(RESOURCES.configmaps, ns, 'aigateway-config'))) !== undefined,
      );
      const applied = Date.now();
      await cluster.apply(`
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: haiku, namespace: ${ns} }
spec: { account: bedrock, modelId: "anthropic.claude-3-haiku-20240307-v1:0" }
`);
      await within(5000, 'bedrock/haiku served by the gateway process', async () =>
        (await models()).includes('bedrock/haiku'),
      );
      expect(Date.now() - applied).toBeLessThan(5000);
      const res = await fetch(`${child.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'bedrock/haiku', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 }),
      });
      expect(res.status).toBe(200);
      const lease = await admin.get<KubeObject & { spec: { holderIdentity: string } }>(
        pathFor(RESOURCES.leases, ns, 'aigateway-operator'),
      );
      expect(lease.spec.holderIdentity).toMatch(/.+/);
    } finally {
      child.kill();
      await child.exited;
      const exited = new Promise((r) => operatorProcess.once('exit', r));
      operatorProcess.kill('SIGTERM');
      await exited;
      await processProjector.stop();
      rmSync(processDir, { recursive: true, force: true });
    }
    // SIGTERM released the Lease, so a successor would not have to wait it out.
    const released = await admin.get<KubeObject & { spec: { holderIdentity?: string } }>(
      pathFor(RESOURCES.leases, ns, 'aigateway-operator'),
    );
    expect(released.spec.holderIdentity ?? '').toBe('');
  });
});
