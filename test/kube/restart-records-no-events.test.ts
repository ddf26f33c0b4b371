/**
 * An Event says something changed (docs/resources.md): an operator restart, a leader change or a
 * resync that finds the same state records none — not for conditions of any reason (verified,
 * refused, unverifiable, missing Secret, missing account, bad model id) and not `InvalidApiKey` for
 * api-key Secrets that are still bad. A real change (a new version of a bad Secret) is still reported,
 * once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/src/index.js';
import type { Condition } from '../../gateway/src/config/index.js';
import { type RunningOperator, runOperator } from '../../operator/src/index.js';
import { type KubeClient, type KubeObject, pathFor, RESOURCES } from '../../operator/src/kube/index.js';
import { type Cluster, kubeSuiteAvailability } from './harness.js';
import { sharedCluster, within } from './helpers.js';

const availability = kubeSuiteAvailability();
const NS = 'restarts';

type EventObject = KubeObject & {
  reason: string;
  type: string;
  note?: string;
  regarding: { kind: string; name: string };
};
type WithStatus = KubeObject & { status?: { conditions?: Condition[] } };

describe.skipIf(!availability.run)('operator restarts record no Event that does not describe a change', () => {
  let cluster: Cluster;
  let admin: KubeClient;
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  let operator: RunningOperator | undefined;

  const start = (identity: string, leaderElection = false) =>
    runOperator({
      kubeConfig: cluster.kubeConfig('admin'),
      namespace: NS,
      identity,
      leaderElection,
      leaseNamespace: NS,
      leaseDurationSeconds: 2,
      renewDeadlineMs: 1500,
      retryPeriodMs: 200,
      credentialChecks: { timeoutMs: 2000 },
    });
  const events = async () =>
    (await admin.list<EventObject>(pathFor(RESOURCES.events, NS))).items.sort((a, b) =>
      a.metadata.name < b.metadata.name ? -1 : 1,
    );
  const describeEvent = (e: EventObject) => `${e.regarding.kind}/${e.regarding.name} ${e.reason}`;
  /** Waits for one reconcile after a (re)start plus the rechecks it starts, then a little more. */
  const settle = async (op: RunningOperator) => {
    await within(20_000, 'a reconcile', () => new Promise<boolean>((r) => op.events.once('reconciled', () => r(true))));
    await new Promise((r) => setTimeout(r, 2500));
  };

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    cluster = await sharedCluster('restarts');
    admin = await cluster.client('admin');
    const endpoints = `endpoint: ${emulator.url}, controlPlaneEndpoint: ${emulator.url}, stsEndpoint: ${emulator.url}`;
    await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata: { name: ${NS} }
---
apiVersion: v1
kind: Secret
metadata: { name: good-keys, namespace: ${NS} }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY }
---
apiVersion: v1
kind: Secret
metadata: { name: wrong-keys, namespace: ${NS} }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: not-the-secret }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: good-key, namespace: ${NS} }
stringData: { token: sk-restarts-good-000001, subject: "user:alice@example.com" }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: no-token, namespace: ${NS} }
stringData: { subject: "user:bob@example.com" }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: bad-subject, namespace: ${NS} }
stringData: { token: sk-restarts-bad-subject-1, subject: "carol" }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: verified, namespace: ${NS} }
spec: { region: us-east-1, ${endpoints}, auth: { type: accessKey, accessKey: { secretRef: { name: good-keys } } } }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: refused, namespace: ${NS} }
spec: { region: us-east-1, ${endpoints}, auth: { type: accessKey, accessKey: { secretRef: { name: wrong-keys } } } }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: ambient, namespace: ${NS} }
spec: { region: us-east-1, ${endpoints}, auth: { type: default } }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: no-secret, namespace: ${NS} }
spec: { region: us-east-1, auth: { type: accessKey, accessKey: { secretRef: { name: absent } } } }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: served, namespace: ${NS} }
spec: { account: verified, modelId: "anthropic.claude-3-haiku-20240307-v1:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: on-refused, namespace: ${NS} }
spec: { account: refused, modelId: "anthropic.claude-3-haiku-20240307-v1:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: on-ambient, namespace: ${NS} }
spec: { account: ambient, modelId: "amazon.nova-lite-v1:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: orphan, namespace: ${NS} }
spec: { account: nobody, modelId: "amazon.nova-lite-v1:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: wrong-geo, namespace: ${NS} }
spec: { account: verified, modelId: "eu.amazon.nova-pro-v1:0" }
`);
    operator = await start('first');
    // Everything decided: both checks finished and every kind of Event recorded once.
    await within(30_000, 'checks decided', async () => {
      const get = (n: string) => admin.get<WithStatus>(pathFor(RESOURCES.provideraccounts, NS, n));
      const reason = async (n: string) =>
        (await get(n)).status?.conditions?.find((c) => c.type === 'CredentialsReady')?.reason;
      return (await reason('verified')) === 'Verified' && (await reason('refused')) === 'AccessDenied';
    });
    await new Promise((r) => setTimeout(r, 2000));
  });
  afterAll(async () => {
    await operator?.stop();
    await cluster?.stop();
    await emulator?.close();
  });

  it('records each problem once to begin with, of every kind', async () => {
    const list = (await events()).map(describeEvent);
    for (const expected of [
      'ProviderAccount/verified CredentialsReadyVerified',
      'ProviderAccount/refused CredentialsInvalid',
      'ProviderAccount/refused CredentialsReadyAccessDenied',
      'ProviderAccount/ambient CredentialsReadyNotVerifiable',
      'ProviderAccount/no-secret SecretMissing',
      'Model/served Served',
      'Model/on-refused AccountNotReady',
      'Model/orphan AccountMissing',
      'Model/wrong-geo RegionUnsupported',
    ]) {
      expect(list).toContain(expected);
    }
    expect(list.filter((e) => e === 'Secret/no-token InvalidApiKey')).toHaveLength(1);
    expect(list.filter((e) => e === 'Secret/bad-subject InvalidApiKey')).toHaveLength(1);
    expect(list.some((e) => e.startsWith('Secret/good-key'))).toBe(false);
  });

  it('records nothing when restarted, nor when another replica takes over', async () => {
    const before = (await events()).map((e) => e.metadata.name);
    // A plain restart of the same replica.
    await operator?.stop();
    operator = await start('first');
    await settle(operator);
    const restarted = await events();
    expect(restarted.filter((e) => !before.includes(e.metadata.name)).map(describeEvent)).toEqual([]);
    // A leader change: a new identity with its own empty memory.
    await operator.stop();
    operator = await start('second', true);
    await within(10_000, 'second leads', async () => operator?.isLeader() === true);
    await settle(operator);
    const after = await events();
    expect(after.filter((e) => !before.includes(e.metadata.name)).map(describeEvent)).toEqual([]);
    expect(after.map((e) => e.metadata.name)).toEqual(before);
  });

  it('still reports a change: a new version of a bad api-key Secret, once', async () => {
    const before = await events();
    await admin.mergePatch(pathFor(RESOURCES.secrets, NS, 'no-token'), { stringData: { teams: 'ml-platform' } });
    const added = await within(10_000, 'InvalidApiKey for the new version', async () => {
      const list = (await events()).filter((e) => !before.some((b) => b.metadata.name === e.metadata.name));
      return list.length > 0 ? list : undefined;
    });
    await new Promise((r) => setTimeout(r, 1500));
    const after = (await events()).filter((e) => !before.some((b) => b.metadata.name === e.metadata.name));
    expect(after.map(describeEvent)).toEqual(['Secret/no-token InvalidApiKey']);
    expect(added[0]?.type).toBe('Warning');
    expect(added[0]?.note).toContain('stringData.token');
  });
});
