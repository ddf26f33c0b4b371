/**
 * Acceptance (black box): `aigw operator` as a process against a real kube-apiserver, its status,
 * Events, printed columns and compiled outputs, and `aigw serve --compiled-config` fed from those
 * outputs and called with the official openai SDK. Only public surfaces: the API server, the CLI,
 * HTTP. Runs in its own namespace of the shared cluster. Skips cleanly without the kube binaries
 * (fails under CI=true). What the API server accepts and refuses is crd-validation.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator/src/index.js';
import type { KubeClient, KubeObject } from '../../operator/src/kube/index.js';
import { type Cluster, kubeSuiteAvailability } from './harness.js';
import {
  aigwCli,
  type CliProcess,
  type Condition,
  cond,
  freePort,
  sharedCluster,
  spawnCli,
  stopChild,
  until,
} from './helpers.js';

const availability = kubeSuiteAvailability();
// Its own namespace on the shared cluster; the operator process watches only this one.
const NS = 'operator-process';
const GROUP = '/apis/aigateway.dev/v1alpha1';
const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const BAD_SECRET = 'bad-secret-value-that-must-never-leak';
const BEDROCK_API_KEY = 'ABSKRW11bGF0b3JEZW1vS2V5';
const TOKENS = {
  alice: 'sk-acc-alice-7d1f0c3a9e2b44c1',
  carol: 'sk-acc-carol-2b8e6f1d0a9c47e3',
  bob: 'sk-acc-bob-5c3a1e9f7b2d40a8',
};
const SONNET = 'global-anthropic-claude-sonnet-4-5-20250929-v1-0';

type Obj = KubeObject & {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown> & { conditions?: Condition[] };
};

describe.skipIf(!availability.run)(
  'acceptance: CRDs, aigw operator and the compiled config on a real API server',
  () => {
    let cluster: Cluster;
    let admin: KubeClient;
    let emu: RunningEmulator;
    let operator: CliProcess;
    let gateway: CliProcess | undefined;
    let compiledDir: string;
    let gatewayPort = 0;
    let adminPort = 0;

    const pa = (name: string) => admin.get<Obj>(`${GROUP}/namespaces/${NS}/provideraccounts/${name}`);
    const model = (name: string) => admin.get<Obj>(`${GROUP}/namespaces/${NS}/models/${name}`);

    beforeAll(async () => {
      emu = await startEmulator({ port: 0 });
      cluster = await sharedCluster('operator-process');
      admin = await cluster.client('admin');
      const e = emu.url;
      await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata: { name: ${NS} }
---
apiVersion: v1
kind: Secret
metadata: { name: aws-keys, namespace: ${NS} }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: "${SECRET_ACCESS_KEY}" }
---
apiVersion: v1
kind: Secret
metadata: { name: bad-keys, namespace: ${NS} }
stringData: { AWS_ACCESS_KEY_ID: AKIABADBADBADBADBAD1, AWS_SECRET_ACCESS_KEY: "${BAD_SECRET}" }
---
apiVersion: v1
kind: Secret
metadata: { name: bedrock-api-key, namespace: ${NS} }
stringData: { apiKey: ${BEDROCK_API_KEY} }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: alice-key, namespace: ${NS} }
stringData: { token: "${TOKENS.alice}", subject: "user:alice@example.com", teams: "research" }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: carol-key, namespace: ${NS} }
stringData: { token: "${TOKENS.carol}", subject: "user:carol@example.com", teams: "ml-platform,research" }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: bob-key, namespace: ${NS} }
stringData: { token: "${TOKENS.bob}", subject: "user:bob@example.com" }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: tfy-ai-bedrock, namespace: ${NS} }
spec:
  provider: aws-bedrock
  region: us-east-1
  endpoint: ${e}
  controlPlaneEndpoint: ${e}
  stsEndpoint: ${e}
  s3Endpoint: ${e}
  auth:
    type: accessKey
    accessKey: { secretRef: { name: aws-keys, accessKeyIdKey: AWS_ACCESS_KEY_ID, secretAccessKeyKey: AWS_SECRET_ACCESS_KEY } }
  batch:
    s3Bucket: my-bucket
    s3Prefix: aigateway/
    roleArn: "arn:aws:iam::111122223333:role/BedrockBatch"
  collaborators:
    - { subject: "user:alice@example.com", role: Manager }
    - { subject: "team:ml-platform",      role: User }
    - { subject: "serviceaccount:apps:checkout", role: User }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: roles, namespace: ${NS} }
spec:
  region: us-east-1
  endpoint: ${e}
  stsEndpoint: ${e}
  auth:
    type: assumeRole
    assumeRole: { roleArn: "arn:aws:iam::111122223333:role/BedrockAccess", externalId: "aigw-demo-external-id", sessionName: "aigateway", durationSeconds: 3600,
                  sourceSecretRef: { name: aws-keys } }
  collaborators:
    - { subject: "team:ml-platform", role: User }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: keyed, namespace: ${NS} }
spec:
  region: us-east-1
  endpoint: ${e}
  controlPlaneEndpoint: ${e}
  auth:
    type: apiKey
    apiKey: { secretRef: { name: bedrock-api-key, key: apiKey } }
  collaborators:
    - { subject: "user:alice@example.com", role: User }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: ambient, namespace: ${NS} }
spec:
  region: eu-west-1
  auth: { type: default }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: badkeys, namespace: ${NS} }
spec:
  region: us-east-1
  endpoint: ${e}
  stsEndpoint: ${e}
  auth: { type: accessKey, accessKey: { secretRef: { name: bad-keys } } }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: nosecret, namespace: ${NS} }
spec:
  region: us-east-1
  stsEndpoint: ${e}
  auth: { type: accessKey, accessKey: { secretRef: { name: missing-secret } } }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: ${SONNET}, namespace: ${NS} }
spec:
  account: tfy-ai-bedrock
  modelId: global.anthropic.claude-sonnet-4-5-20250929-v1:0
  region: us-west-2
  type: chat
  pricing:
    inputPerMillionTokens: 3
    outputPerMillionTokens: 15
    cacheReadPerMillionTokens: 0.3
    cacheWritePerMillionTokens: 3.75
    perImage: 0.04
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: titan-embed, namespace: ${NS} }
spec: { account: tfy-ai-bedrock, modelId: "amazon.titan-embed-text-v2:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: haiku-arn, namespace: ${NS} }
spec: { account: tfy-ai-bedrock, modelId: "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: haiku, namespace: ${NS} }
spec: { account: roles, modelId: "anthropic.claude-3-haiku-20240307-v1:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova-lite, namespace: ${NS} }
spec: { account: keyed, modelId: "us.amazon.nova-lite-v1:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: titan-as-chat, namespace: ${NS} }
spec: { account: tfy-ai-bedrock, modelId: "amazon.titan-embed-text-v2:0", type: chat }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: future-claude, namespace: ${NS} }
spec: { account: tfy-ai-bedrock, modelId: "us.anthropic.claude-opus-9-20300101-v1:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: orphan, namespace: ${NS} }
spec: { account: no-such-account, modelId: "anthropic.claude-3-haiku-20240307-v1:0" }
`);
      const healthPort = await freePort();
      operator = spawnCli(
        ['operator', '--namespace', NS, '--kubeconfig', cluster.kubeconfigPath('admin'), '--no-leader-election'],
        { AIGW_OPERATOR_HEALTH_PORT: String(healthPort), AIGW_LOG_LEVEL: 'debug' },
      );
      compiledDir = mkdtempSync(join(tmpdir(), 'kacc-compiled-'));
    }, 180_000);

    afterAll(async () => {
      await stopChild(gateway?.child);
      await stopChild(operator?.child);
      await cluster?.stop();
      await emu?.close();
      if (compiledDir) rmSync(compiledDir, { recursive: true, force: true });
    }, 60_000);

    // ---------------------------------------------------------------- what kubectl get prints
    // (What the API server accepts and refuses is crd-validation.test.ts.)
    describe('CRDs', () => {
      it('serves printer columns through the Table API (kubectl get)', async () => {
        await until('tfy-ai-bedrock Ready', async () => cond(await pa('tfy-ai-bedrock'), 'Ready')?.status === 'True');
        const table = await admin.request<{
          columnDefinitions: Array<{ name: string; priority?: number }>;
          rows: Array<{ cells: unknown[]; object: { metadata: { name: string } } }>;
        }>('GET', `${GROUP}/namespaces/${NS}/provideraccounts`, {
          headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
        });
        const cols = table.columnDefinitions.map((c) => c.name);
        for (const c of ['Name', 'Provider', 'Region', 'Auth', 'Models', 'Ready', 'Age']) expect(cols).toContain(c);
        const row = table.rows.find((r) => r.cells[0] === 'tfy-ai-bedrock');
        expect(row).toBeDefined();
        const cell = (name: string) => row?.cells[cols.indexOf(name)];
        expect(cell('Provider')).toBe('aws-bedrock');
        expect(cell('Region')).toBe('us-east-1');
        expect(cell('Auth')).toBe('accessKey');
        expect(cell('Models')).toBe(4); // sonnet, titan-embed, haiku-arn, future-claude; not titan-as-chat
        expect(cell('Ready')).toBe('True');

        await until('sonnet Ready', async () => cond(await model(SONNET), 'Ready')?.status === 'True');
        const mt = await admin.request<{
          columnDefinitions: Array<{ name: string }>;
          rows: Array<{ cells: unknown[] }>;
        }>('GET', `${GROUP}/namespaces/${NS}/models`, {
          headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
        });
        const mcols = mt.columnDefinitions.map((c) => c.name);
        for (const c of ['Account', 'Model ID', 'Region', 'Type', 'Ready']) expect(mcols).toContain(c);
        const mrow = mt.rows.find((r) => r.cells[0] === SONNET);
        expect(mrow?.cells[mcols.indexOf('Account')]).toBe('tfy-ai-bedrock');
        expect(mrow?.cells[mcols.indexOf('Region')]).toBe('us-west-2');
        expect(mrow?.cells[mcols.indexOf('Type')]).toBe('chat');
        expect(mrow?.cells[mcols.indexOf('Ready')]).toBe('True');
      });
    });

    // ---------------------------------------------------------------- the operator's status
    describe('aigw operator', () => {
      it('reports Ready and CredentialsReady (verified for real) with observedGeneration', async () => {
        const a = await until('tfy-ai-bedrock verified', async () => {
          const o = await pa('tfy-ai-bedrock');
          return cond(o, 'CredentialsReady')?.status === 'True' ? o : undefined;
        });
        const gen = a.metadata.generation;
        expect(a.status?.observedGeneration).toBe(gen);
        expect(a.status?.models).toBe(4);
        for (const type of ['Ready', 'CredentialsReady']) {
          const c = cond(a, type);
          expect(c?.observedGeneration, type).toBe(gen);
          expect(c?.reason, type).toMatch(/^[A-Za-z]/);
          expect(c?.message.length, type).toBeGreaterThan(0);
          expect(Number.isNaN(Date.parse(c?.lastTransitionTime ?? ''))).toBe(false);
        }
        expect(cond(a, 'Ready')).toMatchObject({ status: 'True', reason: 'Compiled' });
        expect(cond(a, 'CredentialsReady')).toMatchObject({ status: 'True', reason: 'Verified' });
      }, 30_000);

      it('verifies assumeRole (with external id) and apiKey accounts; default is NotVerifiable', async () => {
        const roles = await until('roles verified', async () => {
          const o = await pa('roles');
          return cond(o, 'CredentialsReady')?.status === 'True' ? o : undefined;
        });
        expect(cond(roles, 'CredentialsReady')?.reason).toBe('Verified');
        const keyed = await until('keyed verified', async () => {
          const o = await pa('keyed');
          return cond(o, 'CredentialsReady')?.status === 'True' ? o : undefined;
        });
        expect(cond(keyed, 'CredentialsReady')?.reason).toBe('Verified');
        const ambient = await until('ambient status', async () => {
          const o = await pa('ambient');
          return cond(o, 'Ready') ? o : undefined;
        });
        expect(cond(ambient, 'Ready')?.status).toBe('True');
        expect(cond(ambient, 'CredentialsReady')).toMatchObject({ status: 'Unknown', reason: 'NotVerifiable' });
        expect(ambient.status?.models).toBe(0);
      }, 30_000);

      it('says why credentials fail, without leaking them', async () => {
        const bad = await until('badkeys refused', async () => {
          const o = await pa('badkeys');
          return cond(o, 'CredentialsReady')?.status === 'False' ? o : undefined;
        });
        expect(cond(bad, 'CredentialsReady')?.reason).toBe('AccessDenied');
        expect(cond(bad, 'CredentialsReady')?.message).toMatch(/token|invalid|denied|recogni/i);
        expect(cond(bad, 'Ready')).toMatchObject({ status: 'False', reason: 'CredentialsInvalid' });
        expect(JSON.stringify(bad.status)).not.toContain(BAD_SECRET);

        const missing = await until('nosecret reported', async () => {
          const o = await pa('nosecret');
          return cond(o, 'Ready')?.status === 'False' ? o : undefined;
        });
        expect(cond(missing, 'Ready')?.reason).toBe('SecretMissing');
        expect(cond(missing, 'Ready')?.message).toContain('missing-secret');
      }, 30_000);

      it('fills Model status: resolvedRegion, family, type, servedName, Ready', async () => {
        const sonnet = await until('sonnet status', async () => {
          const o = await model(SONNET);
          return o.status?.resolvedRegion ? o : undefined;
        });
        expect(sonnet.status).toMatchObject({
          observedGeneration: sonnet.metadata.generation,
          resolvedRegion: 'us-west-2',
          family: 'anthropic',
          type: 'chat',
          servedName: `tfy-ai-bedrock/${SONNET}`,
        });
        expect(cond(sonnet, 'Ready')).toMatchObject({ status: 'True', reason: 'Served', observedGeneration: 1 });

        const arn = await model('haiku-arn');
        expect(arn.status).toMatchObject({ resolvedRegion: 'eu-west-1', family: 'anthropic', type: 'chat' });
        const titan = await model('titan-embed');
        expect(titan.status).toMatchObject({ resolvedRegion: 'us-east-1', type: 'embedding' });
        expect(String(titan.status?.family)).toMatch(/titan/);
        const nova = await model('nova-lite');
        expect(nova.status).toMatchObject({ family: 'amazon-nova', resolvedRegion: 'us-east-1' });

        const orphan = await until('orphan status', async () => {
          const o = await model('orphan');
          return cond(o, 'Ready') ? o : undefined;
        });
        expect(cond(orphan, 'Ready')).toMatchObject({ status: 'False', reason: 'AccountMissing' });
        expect(cond(orphan, 'Ready')?.message).toContain('no-such-account');

        // The API server cannot know that a Titan embedding id is no chat model; the operator says so.
        const contradiction = await until('titan-as-chat status', async () => {
          const o = await model('titan-as-chat');
          return cond(o, 'Ready') ? o : undefined;
        });
        expect(cond(contradiction, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidModelId' });
        expect(cond(contradiction, 'Ready')?.message).toMatch(/embedding/);
        // A model id newer than any built-in table is still served (family from its id).
        const future = await model('future-claude');
        expect(cond(future, 'Ready')?.status).toBe('True');
        expect(future.status).toMatchObject({ family: 'anthropic', type: 'chat', resolvedRegion: 'us-east-1' });
      }, 30_000);

      it('records Events on the objects it judges', async () => {
        const events = await until('events', async () => {
          const list = await admin.list<KubeObject & { regarding?: { name: string }; reason?: string; note?: string }>(
            `/apis/events.k8s.io/v1/namespaces/${NS}/events`,
          );
          const core = await admin.list<
            KubeObject & { involvedObject?: { name: string }; reason?: string; message?: string }
          >(`/api/v1/namespaces/${NS}/events`);
          const names = new Set([
            ...list.items.map((e) => e.regarding?.name),
            ...core.items.map((e) => e.involvedObject?.name),
          ]);
          return names.has('badkeys') && names.has('orphan') && names.has('tfy-ai-bedrock')
            ? JSON.stringify([list.items, core.items])
            : undefined;
        });
        expect(events).not.toContain(BAD_SECRET);
        expect(events).not.toContain(SECRET_ACCESS_KEY);
      }, 30_000);

      it('publishes a config without secrets (token hashes only) and a credentials Secret with one revision', async () => {
        const cm = await until('config ConfigMap', () =>
          admin.find<KubeObject & { data?: Record<string, string> }>(
            `/api/v1/namespaces/${NS}/configmaps/aigateway-config`,
          ),
        );
        const config = cm.data?.['config.json'] ?? '';
        expect(config.length).toBeGreaterThan(0);
        for (const secret of [SECRET_ACCESS_KEY, BAD_SECRET, BEDROCK_API_KEY, ...Object.values(TOKENS)]) {
          expect(config).not.toContain(secret);
        }
        expect(config).toContain(createHash('sha256').update(TOKENS.alice).digest('hex'));
        const parsed = JSON.parse(config) as { revision: string; models: Array<{ servedName: string }> };
        expect(parsed.models.map((m) => m.servedName)).toContain(`tfy-ai-bedrock/${SONNET}`);
        expect(parsed.models.map((m) => m.servedName)).not.toContain('no-such-account/orphan');

        const sec = await admin.get<KubeObject & { data?: Record<string, string>; type?: string }>(
          `/api/v1/namespaces/${NS}/secrets/aigateway-credentials`,
        );
        const creds = Buffer.from(sec.data?.['credentials.json'] ?? '', 'base64').toString('utf8');
        expect(creds).toContain(SECRET_ACCESS_KEY);
        expect(creds).toContain(BEDROCK_API_KEY);
        expect((JSON.parse(creds) as { revision: string }).revision).toBe(parsed.revision);
        // The operator's log never carries a secret.
        for (const secret of [SECRET_ACCESS_KEY, BAD_SECRET, BEDROCK_API_KEY, ...Object.values(TOKENS)]) {
          expect(operator.log()).not.toContain(secret);
        }
        // Nothing secret in any status either.
        const all = JSON.stringify([
          await admin.list(`${GROUP}/namespaces/${NS}/provideraccounts`),
          await admin.list(`${GROUP}/namespaces/${NS}/models`),
        ]);
        for (const secret of [SECRET_ACCESS_KEY, BAD_SECRET, BEDROCK_API_KEY]) expect(all).not.toContain(secret);
        writeFileSync(join(compiledDir, 'config.json'), config);
        writeFileSync(join(compiledDir, 'credentials.json'), creds);
      }, 30_000);
    });

    // ---------------------------------------------------------------- the gateway on the outputs
    describe('aigw serve --compiled-config, called with the openai SDK', () => {
      const client = (token: string) =>
        new OpenAI({ apiKey: token, baseURL: `http://127.0.0.1:${gatewayPort}/v1`, maxRetries: 0, timeout: 15_000 });

      beforeAll(async () => {
        gatewayPort = await freePort();
        adminPort = await freePort();
        gateway = spawnCli([
          'serve',
          '--compiled-config',
          compiledDir,
          '--host',
          '127.0.0.1',
          '--port',
          String(gatewayPort),
          '--admin-port',
          String(adminPort),
        ]);
        await until(
          'gateway ready',
          async () => {
            if (gateway?.child.exitCode !== null) throw new Error(`gateway exited: ${gateway?.log()}`);
            return (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).ok;
          },
          20_000,
        );
      }, 30_000);

      it('lists exactly the models each caller may use', async () => {
        const alice = (await client(TOKENS.alice).models.list()).data.map((m) => m.id).sort();
        expect(alice).toEqual(
          [
            `tfy-ai-bedrock/${SONNET}`,
            'tfy-ai-bedrock/haiku-arn',
            'tfy-ai-bedrock/future-claude',
            'tfy-ai-bedrock/titan-embed',
            'keyed/nova-lite',
          ].sort(),
        );
        const carol = (await client(TOKENS.carol).models.list()).data.map((m) => m.id).sort();
        expect(carol).toContain('roles/haiku');
        expect(carol).toContain(`tfy-ai-bedrock/${SONNET}`);
        expect(carol).not.toContain('keyed/nova-lite');
        const bob = (await client(TOKENS.bob).models.list()).data;
        expect(bob).toEqual([]);
      });

      it('serves chat through access keys, an assumed role and a Bedrock API key', async () => {
        const a = await client(TOKENS.alice).chat.completions.create({
          model: `tfy-ai-bedrock/${SONNET}`,
          messages: [{ role: 'user', content: 'Hello' }],
          max_tokens: 32,
        });
        expect(a.choices[0]?.message.content?.length).toBeGreaterThan(0);
        expect(a.usage?.prompt_tokens).toBeGreaterThan(0);
        // The Model's private pricing reaches the gateway's cost metric through the compiled config.
        const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
        const line = metrics
          .split('\n')
          .find(
            (l) =>
              l.startsWith('aigw_cost_usd_total{') &&
              l.includes(`model="${SONNET}"`) &&
              l.includes('subject="user:alice@example.com"'),
          );
        expect(
          line,
          metrics
            .split('\n')
            .filter((l) => l.startsWith('aigw_cost'))
            .join('\n'),
        ).toBeDefined();
        const expected = ((a.usage?.prompt_tokens ?? 0) * 3 + (a.usage?.completion_tokens ?? 0) * 15) / 1e6;
        expect(Number(line?.split(' ').at(-1))).toBeCloseTo(expected, 9);
        const c = await client(TOKENS.carol).chat.completions.create({
          model: 'roles/haiku',
          messages: [{ role: 'user', content: 'Hello' }],
          max_tokens: 32,
        });
        expect(c.choices[0]?.message.content?.length).toBeGreaterThan(0);
        const k = await client(TOKENS.alice).chat.completions.create({
          model: 'keyed/nova-lite',
          messages: [{ role: 'user', content: 'Hello' }],
          max_tokens: 32,
        });
        expect(k.choices[0]?.message.content?.length).toBeGreaterThan(0);
        const e = await client(TOKENS.alice).embeddings.create({ model: 'tfy-ai-bedrock/titan-embed', input: 'hi' });
        expect(e.data[0]?.embedding.length).toBeGreaterThan(0);
      });

      it('refuses non-collaborators (403), unknown keys (401) and models it does not serve (404)', async () => {
        const err = async (p: Promise<unknown>) => {
          try {
            await p;
          } catch (e) {
            return e as InstanceType<typeof OpenAI.APIError>;
          }
          throw new Error('expected an error');
        };
        const msg = [{ role: 'user' as const, content: 'hi' }];
        const forbidden = await err(
          client(TOKENS.bob).chat.completions.create({ model: `tfy-ai-bedrock/${SONNET}`, messages: msg }),
        );
        expect(forbidden.status).toBe(403);
        expect(forbidden.error).toMatchObject({ type: expect.any(String) });
        const unknown = await err(client('sk-not-a-key').models.list());
        expect(unknown.status).toBe(401);
        const missing = await err(
          client(TOKENS.alice).chat.completions.create({ model: 'no-such-account/orphan', messages: msg }),
        );
        expect(missing.status).toBe(404);
        const badAccount = await err(
          client(TOKENS.alice).chat.completions.create({ model: 'badkeys/x', messages: msg }),
        );
        expect(badAccount.status).toBe(404);
        for (const secret of [SECRET_ACCESS_KEY, BEDROCK_API_KEY, ...Object.values(TOKENS)]) {
          expect(gateway?.log()).not.toContain(secret);
        }
      });
    });

    // ---------------------------------------------------------------- changes
    describe('changes', () => {
      it('an edited Model gets a new observedGeneration, region and revision', async () => {
        const before = await admin.get<KubeObject & { data?: Record<string, string> }>(
          `/api/v1/namespaces/${NS}/configmaps/aigateway-config`,
        );
        const rev0 = (JSON.parse(before.data?.['config.json'] ?? '{}') as { revision: string }).revision;
        await admin.mergePatch(`${GROUP}/namespaces/${NS}/models/titan-embed`, { spec: { region: 'us-west-2' } });
        const m = await until('titan moved', async () => {
          const o = await model('titan-embed');
          return o.status?.observedGeneration === 2 ? o : undefined;
        });
        expect(m.metadata.generation).toBe(2);
        expect(m.status?.resolvedRegion).toBe('us-west-2');
        expect(cond(m, 'Ready')?.observedGeneration).toBe(2);
        const rev1 = await until('new revision', async () => {
          const cm = await admin.get<KubeObject & { data?: Record<string, string> }>(
            `/api/v1/namespaces/${NS}/configmaps/aigateway-config`,
          );
          const r = (JSON.parse(cm.data?.['config.json'] ?? '{}') as { revision: string }).revision;
          return r !== rev0 ? r : undefined;
        });
        expect(rev1).not.toBe(rev0);
      }, 30_000);

      it('fixing a missing Secret makes the account Ready', async () => {
        await cluster.apply(`
apiVersion: v1
kind: Secret
metadata: { name: missing-secret, namespace: ${NS} }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: "${SECRET_ACCESS_KEY}" }
`);
        const a = await until('nosecret ready', async () => {
          const o = await pa('nosecret');
          return cond(o, 'Ready')?.status === 'True' ? o : undefined;
        });
        expect(cond(a, 'Ready')?.reason).toBe('Compiled');
      }, 30_000);

      it('deleting an account marks its Models AccountMissing', async () => {
        await admin.delete(`${GROUP}/namespaces/${NS}/provideraccounts/roles`);
        const m = await until('haiku orphaned', async () => {
          const o = await model('haiku');
          return cond(o, 'Ready')?.reason === 'AccountMissing' ? o : undefined;
        });
        expect(cond(m, 'Ready')?.status).toBe('False');
        // Its credentials and models leave the outputs.
        const out = await until('outputs without roles', async () => {
          const sec = await admin.get<KubeObject & { data?: Record<string, string> }>(
            `/api/v1/namespaces/${NS}/secrets/aigateway-credentials`,
          );
          const creds = JSON.parse(Buffer.from(sec.data?.['credentials.json'] ?? '', 'base64').toString('utf8')) as {
            accounts: Record<string, unknown>;
          };
          return Object.keys(creds.accounts).includes('roles') ? undefined : creds;
        });
        expect(Object.keys(out.accounts)).toContain('tfy-ai-bedrock');
        const cm = await admin.get<KubeObject & { data?: Record<string, string> }>(
          `/api/v1/namespaces/${NS}/configmaps/aigateway-config`,
        );
        const config = JSON.parse(cm.data?.['config.json'] ?? '{}') as { models: Array<{ servedName: string }> };
        expect(config.models.map((x) => x.servedName)).not.toContain('roles/haiku');
      }, 30_000);

      it('a rotated Secret is re-verified at once and republished', async () => {
        const credsOf = async () => {
          const sec = await admin.get<KubeObject & { data?: Record<string, string> }>(
            `/api/v1/namespaces/${NS}/secrets/aigateway-credentials`,
          );
          return Buffer.from(sec.data?.['credentials.json'] ?? '', 'base64').toString('utf8');
        };
        await admin.mergePatch(`/api/v1/namespaces/${NS}/secrets/aws-keys`, {
          stringData: { AWS_SECRET_ACCESS_KEY: BAD_SECRET },
        });
        const t0 = Date.now();
        const refused = await until(
          'rotation noticed',
          async () => {
            const o = await pa('tfy-ai-bedrock');
            return cond(o, 'CredentialsReady')?.status === 'False' ? o : undefined;
          },
          15_000,
        );
        expect(Date.now() - t0).toBeLessThan(10_000);
        expect(cond(refused, 'CredentialsReady')?.reason).toBe('AccessDenied');
        expect(JSON.stringify(refused.status)).not.toContain(BAD_SECRET);
        // Refused credentials take the account out of service: not published (docs/resources.md).
        await until('refused account withdrawn', async () => {
          const creds = JSON.parse(await credsOf()) as { accounts: Record<string, unknown> };
          return creds.accounts['tfy-ai-bedrock'] === undefined;
        });
        expect(await credsOf()).not.toContain(BAD_SECRET);
        await admin.mergePatch(`/api/v1/namespaces/${NS}/secrets/aws-keys`, {
          stringData: { AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY },
        });
        await until(
          'verified again',
          async () => cond(await pa('tfy-ai-bedrock'), 'CredentialsReady')?.status === 'True',
          15_000,
        );
        for (const secret of [SECRET_ACCESS_KEY, BAD_SECRET]) expect(operator.log()).not.toContain(secret);
      }, 40_000);

      it('a deleted api-key Secret is revoked; malformed ones are skipped without taking others down', async () => {
        const hash = (t: string) => createHash('sha256').update(t).digest('hex');
        const configOf = async () => {
          const cm = await admin.get<KubeObject & { data?: Record<string, string> }>(
            `/api/v1/namespaces/${NS}/configmaps/aigateway-config`,
          );
          return JSON.parse(cm.data?.['config.json'] ?? '{}') as {
            revision: string;
            apiKeys: Array<{ sha256: string; subject: string; teams: string[] }>;
          };
        };
        await admin.delete(`/api/v1/namespaces/${NS}/secrets/carol-key`);
        await until(
          'carol revoked',
          async () => !(await configOf()).apiKeys.some((k) => k.sha256 === hash(TOKENS.carol)),
        );
        await cluster.apply(`
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: no-token, namespace: ${NS} }
stringData: { subject: "user:nobody@example.com" }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: no-prefix, namespace: ${NS} }
stringData: { token: "sk-acc-noprefix-0000000000", subject: "mallory" }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: alice-copy, namespace: ${NS} }
stringData: { token: "${TOKENS.alice}", subject: "user:mallory@example.com" }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: late-model, namespace: ${NS} }
spec: { account: tfy-ai-bedrock, modelId: "amazon.nova-micro-v1:0" }
`);
        const cfg = await until('late model published', async () => {
          const c = await configOf();
          return (c as unknown as { models: Array<{ servedName: string }> }).models.some(
            (m) => m.servedName === 'tfy-ai-bedrock/late-model',
          )
            ? c
            : undefined;
        });
        // alice's own key still resolves to alice and nobody else: a copied token never grants another subject.
        const aliceKeys = cfg.apiKeys.filter((k) => k.sha256 === hash(TOKENS.alice));
        expect(aliceKeys.map((k) => k.subject)).not.toContain('user:mallory@example.com');
        expect(cfg.apiKeys.map((k) => k.subject)).not.toContain('mallory');
        expect(cfg.apiKeys.some((k) => k.sha256 === hash(TOKENS.bob))).toBe(true);
        // Secrets have no status: the operator explains a key it does not serve with a Warning Event.
        const notes = await until('api-key Events', async () => {
          const list = await admin.list<
            KubeObject & { regarding?: { name: string }; reason?: string; note?: string; type?: string }
          >(`/apis/events.k8s.io/v1/namespaces/${NS}/events`);
          const about = (name: string) => list.items.filter((e) => e.regarding?.name === name && e.type === 'Warning');
          return about('no-prefix').length > 0 && about('alice-copy').length > 0 && about('no-token').length > 0
            ? { noPrefix: about('no-prefix'), copy: about('alice-copy'), all: JSON.stringify(list.items) }
            : undefined;
        });
        expect(notes.noPrefix[0]?.note).toMatch(/subject/);
        expect(notes.copy[0]?.note).toMatch(/same token/);
        expect(notes.all).not.toContain('sk-acc-noprefix-0000000000');
        expect(notes.all).not.toContain(TOKENS.alice);
        const log = operator.log();
        expect(log).toContain('no-prefix');
        expect(log).not.toContain('sk-acc-noprefix-0000000000');
        expect(log).not.toContain(TOKENS.alice);
      }, 30_000);

      it('an inference profile outside the account region is reported, not served', async () => {
        await cluster.apply(`
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: eu-profile, namespace: ${NS} }
spec: { account: tfy-ai-bedrock, modelId: "eu.anthropic.claude-3-7-sonnet-20250219-v1:0" }
`);
        const m = await until('eu-profile judged', async () => {
          const o = await model('eu-profile');
          return cond(o, 'Ready') ? o : undefined;
        });
        expect(cond(m, 'Ready')).toMatchObject({ status: 'False', reason: 'RegionUnsupported' });
        expect(cond(m, 'Ready')?.message).toMatch(/us-east-1/);
      }, 30_000);

      it('the gateway hot-reloads new outputs, and never a half-updated pair', async () => {
        const cm = await admin.get<KubeObject & { data?: Record<string, string> }>(
          `/api/v1/namespaces/${NS}/configmaps/aigateway-config`,
        );
        const sec = await admin.get<KubeObject & { data?: Record<string, string> }>(
          `/api/v1/namespaces/${NS}/secrets/aigateway-credentials`,
        );
        const config = cm.data?.['config.json'] ?? '';
        const creds = Buffer.from(sec.data?.['credentials.json'] ?? '', 'base64').toString('utf8');
        const newRev = (JSON.parse(config) as { revision: string }).revision;
        const readyRevision = async () =>
          ((await (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).json()) as { revision?: string }).revision;
        const oldRev = await readyRevision();
        expect(oldRev).not.toBe(newRev);
        // Only config.json first, as kubelet may project it: the gateway must wait for credentials.json.
        writeFileSync(join(compiledDir, 'config.json.tmp'), config);
        renameSync(join(compiledDir, 'config.json.tmp'), join(compiledDir, 'config.json'));
        await new Promise((r) => setTimeout(r, 1500));
        expect(await readyRevision()).toBe(oldRev);
        writeFileSync(join(compiledDir, 'credentials.json.tmp'), creds);
        renameSync(join(compiledDir, 'credentials.json.tmp'), join(compiledDir, 'credentials.json'));
        await until('new revision loaded', async () => (await readyRevision()) === newRev, 10_000);
        const oa = new OpenAI({
          apiKey: TOKENS.alice,
          baseURL: `http://127.0.0.1:${gatewayPort}/v1`,
          maxRetries: 0,
        });
        const ids = (await oa.models.list()).data.map((m) => m.id);
        expect(ids).toContain('tfy-ai-bedrock/late-model');
        expect(ids).not.toContain('tfy-ai-bedrock/eu-profile');
        const r = await oa.chat.completions.create({
          model: 'tfy-ai-bedrock/late-model',
          messages: [{ role: 'user', content: 'Hi' }],
          max_tokens: 16,
        });
        expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
        // A broken pair (truncated by a bad copy) is refused; the last good config keeps serving.
        writeFileSync(join(compiledDir, 'config.json'), config.slice(0, config.length / 2));
        writeFileSync(join(compiledDir, 'credentials.json'), '{"revision":');
        await new Promise((res) => setTimeout(res, 1500));
        const ready = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
        expect(ready.status).toBe(200);
        expect(await readyRevision()).toBe(newRev);
        expect((await oa.models.list()).data.map((m) => m.id)).toContain('tfy-ai-bedrock/late-model');
        writeFileSync(join(compiledDir, 'credentials.json'), creds);
        writeFileSync(join(compiledDir, 'config.json'), config);
      }, 30_000);

      it('a restarted operator republishes nothing new and keeps condition times', async () => {
        const cmRev = async () => {
          const cm = await admin.get<KubeObject & { data?: Record<string, string> }>(
            `/api/v1/namespaces/${NS}/configmaps/aigateway-config`,
          );
          return {
            rev: (JSON.parse(cm.data?.['config.json'] ?? '{}') as { revision: string }).revision,
            rv: cm.metadata.resourceVersion,
          };
        };
        const before = await cmRev();
        const acct = await pa('tfy-ai-bedrock');
        const t0 = Date.now();
        await stopChild(operator.child);
        expect(Date.now() - t0).toBeLessThan(8000);
        expect(operator.child.exitCode).toBe(0);
        const healthPort = await freePort();
        operator = spawnCli(
          ['operator', '--namespace', NS, '--kubeconfig', cluster.kubeconfigPath('admin'), '--no-leader-election'],
          { AIGW_OPERATOR_HEALTH_PORT: String(healthPort) },
        );
        await until('operator healthy', async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).ok, 15_000);
        await new Promise((r) => setTimeout(r, 2500));
        const after = await cmRev();
        expect(after.rev).toBe(before.rev);
        expect(after.rv).toBe(before.rv);
        const again = await pa('tfy-ai-bedrock');
        expect(cond(again, 'Ready')?.lastTransitionTime).toBe(cond(acct, 'Ready')?.lastTransitionTime);
        // The recheck after a restart does not flip CredentialsReady through Checking.
        expect(cond(again, 'CredentialsReady')).toMatchObject({ status: 'True', reason: 'Verified' });
        expect(cond(again, 'CredentialsReady')?.lastTransitionTime).toBe(
          cond(acct, 'CredentialsReady')?.lastTransitionTime,
        );
      }, 40_000);

      it('without the rights it needs the operator stays unready, says why, and stops cleanly', async () => {
        const healthPort = await freePort();
        const op = spawnCli(
          ['operator', '--namespace', NS, '--kubeconfig', cluster.kubeconfigPath('bob'), '--no-leader-election'],
          { AIGW_OPERATOR_HEALTH_PORT: String(healthPort) },
        );
        try {
          await until('forbidden logged', async () => /forbidden/.test(op.log()), 15_000);
          expect((await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status).toBe(503);
          expect((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status).toBe(200);
        } finally {
          const t0 = Date.now();
          await stopChild(op.child);
          expect(Date.now() - t0).toBeLessThan(5000);
        }
        expect(op.child.exitCode, op.log()).toBe(0);
      }, 30_000);

      it('an STS that never answers gives Timeout without holding up publishing', async () => {
        const sockets: import('node:net').Socket[] = [];
        const tarpit = createServer((sock) => sockets.push(sock));
        await new Promise<void>((r) => tarpit.listen(0, '127.0.0.1', () => r()));
        const port = (tarpit.address() as { port: number }).port;
        try {
          await cluster.apply(`
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: slowsts, namespace: ${NS} }
spec:
  region: us-east-1
  stsEndpoint: http://127.0.0.1:${port}
  auth: { type: accessKey, accessKey: { secretRef: { name: aws-keys } } }
`);
          await new Promise((r) => setTimeout(r, 500));
          await cluster.apply(`
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: after-slow, namespace: ${NS} }
spec: { account: tfy-ai-bedrock, modelId: "amazon.nova-pro-v1:0" }
`);
          await until(
            'after-slow served',
            async () => cond(await model('after-slow'), 'Ready')?.status === 'True',
            5000,
          );
          const slow = await until(
            'slowsts judged',
            async () => {
              const o = await pa('slowsts');
              const c = cond(o, 'CredentialsReady');
              return c && c.status !== 'Unknown' ? o : undefined;
            },
            45_000,
          );
          expect(cond(slow, 'CredentialsReady')).toMatchObject({ status: 'False', reason: 'Timeout' });
          // Nothing was refused: the account stays Ready (in service) and CredentialsReady says why.
          expect(cond(slow, 'Ready')).toMatchObject({ status: 'True', reason: 'Compiled' });
        } finally {
          for (const s of sockets) s.destroy();
          tarpit.close();
        }
      }, 60_000);

      it('a refused assumed role shows in status, and callers get a clean OpenAI error', async () => {
        await cluster.apply(`
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: wrongext, namespace: ${NS} }
spec:
  region: us-east-1
  endpoint: ${emu.url}
  stsEndpoint: ${emu.url}
  auth:
    type: assumeRole
    assumeRole: { roleArn: "arn:aws:iam::111122223333:role/BedrockAccess", externalId: "not-the-external-id", sourceSecretRef: { name: aws-keys } }
  collaborators: [{ subject: "user:alice@example.com", role: User }]
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: haiku, namespace: ${NS} }
spec: { account: wrongext, modelId: "anthropic.claude-3-haiku-20240307-v1:0" }
`);
        const a = await until('wrongext refused', async () => {
          const o = await pa('wrongext');
          return cond(o, 'CredentialsReady')?.status === 'False' ? o : undefined;
        });
        expect(cond(a, 'CredentialsReady')?.reason).toBe('AccessDenied');
        // Feed the gateway the new outputs and call the model.
        const cm = await admin.get<KubeObject & { data?: Record<string, string> }>(
          `/api/v1/namespaces/${NS}/configmaps/aigateway-config`,
        );
        const sec = await admin.get<KubeObject & { data?: Record<string, string> }>(
          `/api/v1/namespaces/${NS}/secrets/aigateway-credentials`,
        );
        const config = cm.data?.['config.json'] ?? '';
        writeFileSync(
          join(compiledDir, 'credentials.json'),
          Buffer.from(sec.data?.['credentials.json'] ?? '', 'base64').toString('utf8'),
        );
        writeFileSync(join(compiledDir, 'config.json'), config);
        const rev = (JSON.parse(config) as { revision: string }).revision;
        await until('loaded', async () => {
          const r = (await (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).json()) as { revision?: string };
          return r.revision === rev;
        });
        const res = await fetch(`http://127.0.0.1:${gatewayPort}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKENS.alice}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'wrongext/haiku', messages: [{ role: 'user', content: 'hi' }] }),
        });
        const text = await res.text();
        expect(res.status, text).toBeGreaterThanOrEqual(400);
        const body = JSON.parse(text) as { error: { message: string; type: string; code: unknown } };
        expect(body.error.message.length).toBeGreaterThan(0);
        expect(text).not.toContain(SECRET_ACCESS_KEY);
        expect(text).not.toContain('not-the-external-id');
        // AWS refused the role, so the account and its models are not served: the caller gets a 404
        // in OpenAI's shape instead of a Bedrock 403 on every call (docs/resources.md).
        expect(res.status).toBe(404);
        expect(body.error.code).toBe('model_not_found');
      }, 40_000);

      it('a taken health port stops the operator with a message, not a stack trace', async () => {
        const blocker = createServer();
        await new Promise<void>((r) => blocker.listen(0, '0.0.0.0', () => r()));
        const port = (blocker.address() as { port: number }).port;
        try {
          const op = spawnCli(
            ['operator', '--namespace', NS, '--kubeconfig', cluster.kubeconfigPath('admin'), '--no-leader-election'],
            { AIGW_OPERATOR_HEALTH_PORT: String(port) },
          );
          const code = await until('operator exit', async () => op.child.exitCode ?? undefined, 15_000);
          expect(code, op.log()).toBe(1);
          expect(op.log()).toContain(String(port));
          expect(op.log()).not.toMatch(/Unhandled 'error' event|at Server\./);
        } finally {
          blocker.close();
        }
      }, 20_000);

      it('bad operator flags exit 2 with a message', () => {
        let status: number | null = null;
        let stderr = '';
        try {
          execFileSync(process.execPath, [aigwCli(), 'operator', '--namespace'], { stdio: 'pipe' });
        } catch (err) {
          status = (err as { status: number }).status;
          stderr = String((err as { stderr: Buffer }).stderr);
        }
        expect(status, stderr).toBe(2);
        expect(stderr).toMatch(/namespace/);
        try {
          execFileSync(process.execPath, [aigwCli(), 'operator', '--namespace', NS, '--all-namespaces'], {
            stdio: 'pipe',
          });
        } catch (err) {
          status = (err as { status: number }).status;
        }
        expect(status).toBe(2);
      });

      it('an edited account moves observedGeneration on every condition, and its Ready message counts models', async () => {
        await admin.mergePatch(`${GROUP}/namespaces/${NS}/provideraccounts/tfy-ai-bedrock`, {
          spec: {
            collaborators: [
              { subject: 'user:alice@example.com', role: 'Manager' },
              { subject: 'team:ml-platform', role: 'User' },
              { subject: 'serviceaccount:apps:checkout', role: 'User' },
              { subject: 'user:erin@example.com', role: 'User' },
            ],
          },
        });
        const a = await until('account observed', async () => {
          const o = await pa('tfy-ai-bedrock');
          return o.status?.observedGeneration === o.metadata.generation &&
            (o.status?.conditions ?? []).every((c) => c.observedGeneration === o.metadata.generation)
            ? o
            : undefined;
        });
        expect(a.metadata.generation).toBeGreaterThan(1);
        expect(cond(a, 'Ready')?.message).toContain(String(a.status?.models));
      }, 30_000);

      it('status written by someone else is put right', async () => {
        await admin.request('PATCH', `${GROUP}/namespaces/${NS}/models/${SONNET}/status`, {
          body: { status: { resolvedRegion: 'mars-east-1' } },
          contentType: 'application/merge-patch+json',
        });
        const m = await until('status restored', async () => {
          const o = await model(SONNET);
          return o.status?.resolvedRegion === 'us-west-2' ? o : undefined;
        });
        expect(cond(m, 'Ready')?.status).toBe('True');
      }, 30_000);

      it('kubectl get -o wide shows the CredentialsReady reason and the Model Ready reason', async () => {
        const wide = async (plural: string) =>
          admin.request<{
            columnDefinitions: Array<{ name: string; priority: number }>;
            rows: Array<{ cells: unknown[] }>;
          }>('GET', `${GROUP}/namespaces/${NS}/${plural}`, {
            headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
          });
        const pat = await wide('provideraccounts');
        const pcols = pat.columnDefinitions.map((c) => c.name);
        const credCol = pat.columnDefinitions.findIndex((c) => c.priority === 1);
        expect(credCol).toBeGreaterThan(0);
        const bad = pat.rows.find((r) => r.cells[0] === 'badkeys');
        expect(bad?.cells[credCol]).toBe('AccessDenied');
        expect(bad?.cells[pcols.indexOf('Ready')]).toBe('False');
        const mt = await wide('models');
        const reasonCol = mt.columnDefinitions.findIndex((c) => c.priority === 1);
        expect(mt.rows.find((r) => r.cells[0] === 'orphan')?.cells[reasonCol]).toBe('AccountMissing');
      });

      it('a wrong key name in a secretRef is named in the status', async () => {
        await cluster.apply(`
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: wrongkey, namespace: ${NS} }
spec:
  region: us-east-1
  stsEndpoint: ${emu.url}
  auth: { type: accessKey, accessKey: { secretRef: { name: aws-keys, accessKeyIdKey: ACCESS_KEY } } }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: wrongtoken, namespace: ${NS} }
spec:
  region: us-east-1
  stsEndpoint: ${emu.url}
  auth: { type: accessKey, accessKey: { secretRef: { name: aws-keys, sessionTokenKey: TOKEN } } }
`);
        for (const [name, key] of [
          ['wrongkey', 'ACCESS_KEY'],
          ['wrongtoken', 'TOKEN'],
        ] as const) {
          const a = await until(`${name} judged`, async () => {
            const o = await pa(name);
            return cond(o, 'Ready') ? o : undefined;
          });
          expect(cond(a, 'Ready'), name).toMatchObject({ status: 'False', reason: 'SecretMissing' });
          expect(cond(a, 'Ready')?.message, name).toContain(key);
          expect(JSON.stringify(a.status)).not.toContain(SECRET_ACCESS_KEY);
        }
      }, 30_000);

      it('a burst of 60 Models is served and judged within seconds', async () => {
        const docs = Array.from(
          { length: 60 },
          (_, i) => `apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: bulk-${i}, namespace: ${NS} }
spec: { account: keyed, modelId: "amazon.nova-micro-v1:0", region: us-east-1 }`,
        ).join('\n---\n');
        const t0 = Date.now();
        await cluster.apply(docs);
        await until(
          'bulk served',
          async () => {
            const list = await admin.list<Obj>(`${GROUP}/namespaces/${NS}/models`);
            const bulk = list.items.filter((m) => m.metadata.name.startsWith('bulk-'));
            return bulk.length === 60 && bulk.every((m) => cond(m, 'Ready')?.status === 'True');
          },
          30_000,
        );
        expect(Date.now() - t0).toBeLessThan(15_000);
        const keyed = await pa('keyed');
        expect(keyed.status?.models).toBe(61);
      }, 40_000);

      it('aigw serve --compiled-config on an empty directory starts unready and answers 503', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'kacc-empty-'));
        const [port, aport] = [await freePort(), await freePort()];
        const gw = spawnCli([
          'serve',
          '--compiled-config',
          dir,
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--admin-port',
          String(aport),
        ]);
        try {
          const res = await until('admin up', async () => {
            if (gw.child.exitCode !== null) throw new Error(gw.log());
            return await fetch(`http://127.0.0.1:${aport}/readyz`);
          });
          expect(res.status).toBe(503);
          const api = await fetch(`http://127.0.0.1:${port}/v1/models`, {
            headers: { authorization: `Bearer ${TOKENS.alice}` },
          });
          expect(api.status).toBe(503);
          const body = (await api.json()) as { error: { message: string; type: string } };
          expect(body.error.message.length).toBeGreaterThan(0);
          expect(api.headers.get('x-request-id')).toBeTruthy();
        } finally {
          await stopChild(gw.child);
          rmSync(dir, { recursive: true, force: true });
        }
      }, 30_000);

      it('records one Event per change, not one per reconcile', async () => {
        const list = await admin.list<KubeObject & { regarding?: { name: string; kind: string }; reason?: string }>(
          `/apis/events.k8s.io/v1/namespaces/${NS}/events`,
        );
        // ambient never changed: its first Ready and CredentialsReady, nothing more (through a restart
        // and dozens of reconciles of its namespace).
        const ambient = list.items.filter(
          (e) => e.regarding?.kind === 'ProviderAccount' && e.regarding.name === 'ambient',
        );
        expect(ambient.map((e) => e.reason).sort()).toEqual(['Compiled', 'CredentialsReadyNotVerifiable']);
      });
    });
  },
);
