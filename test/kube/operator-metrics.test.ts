/**
 * The operator's /metrics (`aigw operator --metrics-port`, docs/configuration.md, Operator metrics): after it
 * reconciled a namespace and verified an account's credentials against the emulator's STS, the scrape shows
 * the reconcile, the credential check by result, leadership and the queue depth, and passes
 * `promtool check metrics`. Real API server, real operator.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/src/index.js';
import { type RunningOperator, runOperator } from '../../operator/src/index.js';
import { type Cluster, kubeSuiteAvailability } from './harness.js';
import { sharedCluster } from './helpers.js';

const availability = kubeSuiteAvailability();
const NS = 'observed';

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe.skipIf(!availability.run)('operator metrics', () => {
  let cluster: Cluster;
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  let operator: RunningOperator | undefined;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    cluster = await sharedCluster('opmetrics');
    await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata: { name: ${NS} }
---
apiVersion: v1
kind: Secret
metadata: { name: keys, namespace: ${NS} }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: team, namespace: ${NS} }
spec:
  { region: us-east-1, endpoint: ${emulator.url}, stsEndpoint: ${emulator.url}, auth: { type: accessKey, accessKey: { secretRef: { name: keys } } } }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova, namespace: ${NS} }
spec: { account: team, modelId: "amazon.nova-lite-v1:0" }
`);
    operator = await runOperator({
      kubeConfig: cluster.kubeConfig('admin'),
      namespace: NS,
      leaderElection: false,
      metricsPort: 0,
      healthHost: '127.0.0.1',
    });
  }, 120_000);
  afterAll(async () => {
    await operator?.stop();
    await cluster?.stop();
    await emulator?.close();
  });

  it('counts reconciles, credential checks by result, leadership and the queue', async () => {
    expect(operator?.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    let text = '';
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      text = await (await fetch(`${operator!.metricsUrl}/metrics`)).text();
      if (
        (value(text, 'aigw_operator_credential_checks_total{result="Verified"}') ?? 0) >= 1 &&
        (value(text, 'aigw_operator_reconciles_total{kind="namespace",result="success"}') ?? 0) >= 1
      )
        break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(value(text, 'aigw_operator_credential_checks_total{result="Verified"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'aigw_operator_reconciles_total{kind="namespace",result="success"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'aigw_operator_leader')).toBe(1);
    expect(value(text, 'aigw_operator_queue_depth')).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(await fetch(`${operator!.metricsUrl}/other`).then((r) => r.status)).toBe(404);

    if (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status !== 0) {
      if (process.env.CI === 'true') throw new Error('promtool is required in CI (Debian package prometheus)');
      console.warn('promtool check skipped: promtool not installed (apt-get install prometheus)');
      return;
    }
    const out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(out.trim()).toBe('');
  });
});
