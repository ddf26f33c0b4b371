/**
 * The operator's log at its most verbose level holds no Secret data: AWS keys (right and refused), session
 * tokens, Bedrock API keys and caller api-key tokens, including those of Secrets it refuses to serve and
 * of accounts whose credentials AWS refused. The logger is the one `aigw operator` creates.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator/src/index.js';
import { createLogger } from '../../gateway/src/logging/index.js';
import { type RunningOperator, runOperator } from '../../operator/src/index.js';
import { type KubeClient, type KubeObject, pathFor, RESOURCES } from '../../operator/src/kube/index.js';
import { type Cluster, kubeSuiteAvailability } from './harness.js';
import { sharedCluster } from './helpers.js';

const availability = kubeSuiteAvailability();
const NS = 'logs';
const SECRETS = {
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  wrongAwsSecret: 'WrongSecretKeyLoggedNowhere/0123456789abc',
  sessionToken: 'SessionTokenLoggedNowhere0123456789',
  bedrockKey: 'ABSKQmVkcm9ja0tleUxvZ2dlZE5vd2hlcmU=',
  token: 'sk-operator-log-token-0123456789',
  duplicate: 'sk-operator-duplicate-0123456789',
};

describe.skipIf(!availability.run)('operator logs', () => {
  let cluster: Cluster;
  let admin: KubeClient;
  let emulator: RunningEmulator;
  let operator: RunningOperator | undefined;
  const lines: string[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    cluster = await sharedCluster('operator-logs');
    admin = await cluster.client('admin');
    const endpoints = `endpoint: ${emulator.url}\n  stsEndpoint: ${emulator.url}`;
    await cluster.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }]);
    await cluster.apply(`
apiVersion: v1
kind: Secret
metadata: { name: good-keys, namespace: ${NS} }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: "${SECRETS.awsSecret}" }
---
apiVersion: v1
kind: Secret
metadata: { name: wrong-keys, namespace: ${NS} }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: "${SECRETS.wrongAwsSecret}", AWS_SESSION_TOKEN: "${SECRETS.sessionToken}" }
---
apiVersion: v1
kind: Secret
metadata: { name: bedrock-key, namespace: ${NS} }
stringData: { apiKey: "${SECRETS.bedrockKey}" }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: alice-key, namespace: ${NS} }
stringData: { token: "${SECRETS.token}", subject: "user:alice@example.com" }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: bad-key-a, namespace: ${NS} }
stringData: { token: "${SECRETS.duplicate}", subject: "user:a@example.com" }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: bad-key-b, namespace: ${NS} }
stringData: { token: "${SECRETS.duplicate}", subject: "not-a-subject" }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: good, namespace: ${NS} }
spec:
  region: us-east-1
  ${endpoints}
  auth: { type: accessKey, accessKey: { secretRef: { name: good-keys } } }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: wrong, namespace: ${NS} }
spec:
  region: us-east-1
  ${endpoints}
  auth: { type: accessKey, accessKey: { secretRef: { name: wrong-keys, sessionTokenKey: AWS_SESSION_TOKEN } } }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: bearer, namespace: ${NS} }
spec:
  region: us-east-1
  ${endpoints}
  auth: { type: apiKey, apiKey: { secretRef: { name: bedrock-key } } }
`);
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    operator = await runOperator({
      kubeConfig: cluster.kubeConfig('admin'),
      namespace: NS,
      leaderElection: false,
      logger: createLogger({ level: 'trace', program: 'aigw-operator', destination }),
    });
  }, 120_000);

  afterAll(async () => {
    await operator?.stop();
    await cluster?.stop();
    await emulator?.close();
  });

  it('report refused Secrets and refused credentials without their values', async () => {
    const deadline = Date.now() + 30_000;
    const done = () => {
      const out = lines.join('');
      return /api-key Secret not served/.test(out);
    };
    let account: KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } } = {} as never;
    while (Date.now() < deadline) {
      account = await admin.get(pathFor(RESOURCES.provideraccounts, NS, 'wrong'));
      const checked = account.status?.conditions?.some((c) => c.type === 'CredentialsReady' && c.status === 'False');
      if (done() && checked) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const out = lines.join('');
    expect(out).toMatch(/api-key Secret not served/);
    expect(out).toMatch(/"secretName":"bad-key-/);
    expect(account.status?.conditions?.find((c) => c.type === 'CredentialsReady')?.status).toBe('False');
    for (const [name, value] of Object.entries(SECRETS)) {
      const forms = [value, Buffer.from(value).toString('base64')];
      expect(
        forms.some((f) => out.includes(f)),
        `${name} in the operator log`,
      ).toBe(false);
    }
  }, 60_000);
});
