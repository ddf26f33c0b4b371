/**
 * Values that contradict each other are refused when the chart is rendered — `helm install`,
 * `helm upgrade`, `helm template` — with a message that names the keys, instead of installing
 * something the API server rejects later (an HPA with minReplicas above maxReplicas), something that
 * misbehaves quietly (two operators acting at once without leader election, a ServiceMonitor and a
 * PodMonitor scraping every pod twice) or a PodDisruptionBudget that allows more than every pod.
 * Single-key ranges are values.schema.json's; cross-key checks are the `aigateway.validate` template
 * helper's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, kubeSuiteAvailability } from './harness.js';
import { CHART, helmResult, sharedCluster } from './helpers.js';

const availability = kubeSuiteAvailability(['kube-apiserver', 'etcd', 'helm']);
const NS = 'contradictions';

const template = (set: string[]) =>
  helmResult(['template', 'aigateway', CHART, '--namespace', NS, ...set.flatMap((s) => ['--set', s])]);

describe.skipIf(!availability.run)('chart values that contradict each other', () => {
  it.each([
    [
      'two operator replicas with leader election off',
      ['operator.replicas=2', 'operator.leaderElection.enabled=false'],
      'operator.replicas is 2 but operator.leaderElection.enabled is false',
    ],
    [
      'autoscaling minReplicas above maxReplicas',
      ['gateway.autoscaling.minReplicas=5', 'gateway.autoscaling.maxReplicas=3'],
      'gateway.autoscaling.minReplicas (5) is above gateway.autoscaling.maxReplicas (3)',
    ],
    [
      'the API and admin ports on one port',
      ['gateway.adminPort=8080'],
      'gateway.port and gateway.adminPort are both 8080',
    ],
    [
      'a preStop sleep as long as the grace period',
      ['gateway.preStopSleepSeconds=60', 'gateway.terminationGracePeriodSeconds=60'],
      'gateway.preStopSleepSeconds (60) is not below gateway.terminationGracePeriodSeconds (60)',
    ],
    [
      'a ServiceMonitor and a PodMonitor at once',
      ['gateway.serviceMonitor.enabled=true', 'gateway.podMonitor.enabled=true'],
      'gateway.serviceMonitor.enabled and gateway.podMonitor.enabled are both true',
    ],
    [
      "the operator's probes and metrics on one port",
      ['operator.metricsPort=8081'],
      'operator.healthPort and operator.metricsPort are both 8081',
    ],
  ])('refuses %s, naming the keys', async (_what, set, message) => {
    const out = await template(set);
    expect(out.ok).toBe(false);
    expect(out.out).toContain(message);
    // One line that says what to do, not a template stack.
    expect(out.out).toMatch(/Turn leader election on|Raise|need two ports|Turn one of them off|Change one of them/);
  });

  it.each(['150%', '0%', '101%', '0'])('refuses podDisruptionBudget.maxUnavailable %s (schema)', async (value) => {
    const out = await template([`gateway.podDisruptionBudget.maxUnavailable=${value}`]);
    expect(out.ok).toBe(false);
    expect(out.out).toContain("values don't meet the specifications of the schema");
    expect(out.out).toContain('/gateway/podDisruptionBudget/maxUnavailable');
  });

  it('accepts the same keys when they agree', async () => {
    for (const set of [
      ['operator.replicas=1', 'operator.leaderElection.enabled=false'],
      ['operator.replicas=3'],
      ['gateway.autoscaling.minReplicas=3', 'gateway.autoscaling.maxReplicas=3'],
      // minReplicas/maxReplicas do not matter without an HPA.
      ['gateway.autoscaling.enabled=false', 'gateway.autoscaling.minReplicas=5', 'gateway.autoscaling.maxReplicas=3'],
      ['gateway.podDisruptionBudget.maxUnavailable=100%'],
      ['gateway.podDisruptionBudget.maxUnavailable=50%'],
      ['gateway.preStopSleepSeconds=10', 'gateway.terminationGracePeriodSeconds=11'],
      ['gateway.podMonitor.enabled=true', 'gateway.serviceMonitor.enabled=false'],
      ['operator.metricsPort=9300'],
    ]) {
      const out = await template(set);
      expect(out.out, set.join(',')).not.toContain('Error');
      expect(out.ok, set.join(',')).toBe(true);
    }
  });

  describe('helm install on a real kube-apiserver', () => {
    let cluster: Cluster;
    beforeAll(async () => {
      // The install is refused before anything reaches the API server, so the shared cluster does.
      cluster = await sharedCluster('contradictions');
    });
    afterAll(async () => {
      await cluster?.stop();
    });

    it('refuses the install and creates nothing', async () => {
      const kubeconfig = cluster.kubeconfigPath('admin');
      const out = await helmResult([
        'install',
        'aigateway',
        CHART,
        '--namespace',
        NS,
        '--create-namespace',
        '--kubeconfig',
        kubeconfig,
        '--set',
        'operator.replicas=2',
        '--set',
        'operator.leaderElection.enabled=false',
      ]);
      expect(out.ok).toBe(false);
      expect(out.out).toContain('operator.leaderElection.enabled is false');
      const list = await helmResult(['list', '--all', '--namespace', NS, '--kubeconfig', kubeconfig, '-q']);
      expect(list.out.trim()).toBe('');
      const admin = await cluster.client('admin');
      const deployments = await admin.list(`/apis/apps/v1/namespaces/${NS}/deployments`).catch(() => ({ items: [] }));
      expect(deployments.items).toEqual([]);
    });
  });
});
