/**
 * What `kubectl get usagepolicies -o yaml` shows on a real kube-apiserver with a real redis-server:
 * the operator compiles UsagePolicies into the published gateway config (and says why when it cannot),
 * reads each policy's use from the store the gateways count in, on its own interval, into
 * `status.usage` with `Exceeded`, and records `BudgetWarning` / `BudgetExceeded` Events when a spend
 * budget crosses 80 % and 100 %, once per window, also across an operator restart. The use is written
 * by the gateway's own limiter (admit + settle), as a request through the gateway would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Caller,
  type CompiledConfig,
  type Condition,
  compileConfig,
  type Model,
  type ProviderAccount,
  type UsagePolicy,
} from '../../gateway/src/config/index.js';
import { createUsageStore, UsageLimiter, type UsageStore } from '../../gateway/src/limits/index.js';
import { type RunningOperator, runOperator } from '../../operator/src/index.js';
import { type KubeClient, type KubeObject, pathFor, RESOURCES } from '../../operator/src/kube/index.js';
import { type RunningRedis, redisAvailability, startRedis } from '../helpers/redis.js';
import { type Cluster, kubeSuiteAvailability, readCrds, startCluster } from './harness.js';

const availability = kubeSuiteAvailability();
const redisAvailable = redisAvailability();
const NS = 'usage';

type EventObject = KubeObject & { reason: string; type: string; note?: string; regarding: { name: string } };
type PolicyObject = KubeObject & {
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    usage?: Array<{ limit: string; max: number; used: number; subjects?: number; resetsAt?: string }>;
    lastUpdated?: string;
    reportedCrossings?: string[];
  };
};

async function within<T>(ms: number, what: string, fn: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
      last = undefined;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${what} did not happen within ${ms} ms${last ? `: ${String(last)}` : ''}`);
}

const condition = (p: PolicyObject | undefined, type: string) => p?.status?.conditions?.find((c) => c.type === type);

describe.skipIf(!availability.run || !redisAvailable.run)('UsagePolicy status from the shared store', () => {
  let cluster: Cluster;
  let admin: KubeClient;
  let redis: RunningRedis;
  let operator: RunningOperator | undefined;
  let store: UsageStore;

  const start = () =>
    runOperator({
      kubeConfig: cluster.kubeConfig('admin'),
      namespace: NS,
      identity: `usage-${Date.now()}`,
      leaderElection: false,
      credentialChecks: false,
      redisUrl: redis.url,
      usageIntervalMs: 300,
    });
  const policy = (name: string) => admin.get<PolicyObject>(pathFor(RESOURCES.usagepolicies, NS, name));
  const budgetEvents = async (name: string) =>
    (await admin.list<EventObject>(pathFor(RESOURCES.events, NS))).items
      .filter((e) => e.regarding.name === name && e.reason.startsWith('Budget'))
      .map((e) => e.reason)
      .sort();
  const publishedConfig = async () => {
    const cm = await admin.get<KubeObject & { data: Record<string, string> }>(
      pathFor(RESOURCES.configmaps, NS, 'aigateway-config'),
    );
    return JSON.parse(cm.data['config.json'] as string) as CompiledConfig;
  };

  /** Spends `usd` as the team-ml caller through the gateway's limiter, compiled from what the cluster holds. */
  async function spend(usd: number): Promise<void> {
    const accounts = (await admin.list<ProviderAccount & KubeObject>(pathFor(RESOURCES.provideraccounts, NS))).items;
    const models = (await admin.list<Model & KubeObject>(pathFor(RESOURCES.models, NS))).items;
    const usagePolicies = (await admin.list<UsagePolicy & KubeObject>(pathFor(RESOURCES.usagepolicies, NS))).items;
    const { config } = compileConfig({ accounts, models, secrets: [], usagePolicies }, { namespace: NS });
    const model = config.models.find((m) => m.name === 'claude');
    const budget = config.usagePolicies?.find((p) => p.name === 'ml-budget');
    if (!model || !budget) throw new Error('claude or ml-budget did not compile');
    const caller: Caller = {
      subject: 'user:alice',
      teams: ['ml'],
      metricTeam: 'ml',
      source: 'test',
      keyHash: '',
      accounts: new Set(),
    };
    const limiter = new UsageLimiter({ store });
    // The Model's price is 1 USD per input token.
    const admission = await limiter.admit([budget], caller, model, { inputTokens: usd, outputTokens: 0 });
    admission.settle({ inputTokens: usd, outputTokens: 0 });
  }

  beforeAll(async () => {
    redis = await startRedis();
    store = createUsageStore({ redisUrl: redis.url });
    cluster = await startCluster({ name: 'usage' });
    admin = await cluster.client('admin');
    await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata: { name: ${NS} }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: prod, namespace: ${NS} }
spec: { region: us-east-1, auth: { type: default } }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: claude, namespace: ${NS}, labels: { tier: premium } }
spec:
  account: prod
  modelId: anthropic.claude-3-haiku-20240307-v1:0
  pricing: { inputPerMillionTokens: 1000000, outputPerMillionTokens: 1000000 }
---
apiVersion: aigateway.dev/v1alpha1
kind: UsagePolicy
metadata: { name: ml-budget, namespace: ${NS} }
spec:
  subjects: [team:ml]
  modelSelector: { matchLabels: { tier: premium } }
  limits: { usdPerDay: 50, requestsPerMinute: 1000 }
---
apiVersion: aigateway.dev/v1alpha1
kind: UsagePolicy
metadata: { name: on-mars, namespace: ${NS} }
spec:
  timeZone: Mars/Olympus_Mons
  limits: { usdPerMonth: 10 }
`);
    operator = await start();
  }, 120_000);

  afterAll(async () => {
    await operator?.stop();
    await store?.close();
    await cluster?.stop();
    await redis?.stop();
  });

  it('publishes a valid policy into the gateway config and says why another is not', async () => {
    const ready = await within(20_000, 'ml-budget Ready', async () => {
      const p = await policy('ml-budget');
      return condition(p, 'Ready')?.status === 'True' && p;
    });
    expect(condition(ready, 'Ready')).toMatchObject({
      reason: 'Enforced',
      message: 'enforced by the gateway for 1 subject on 1 model',
    });
    const config = await publishedConfig();
    expect(config.usagePolicies?.map((p) => p.name)).toEqual(['ml-budget']);
    expect(config.usagePolicies?.[0]).toMatchObject({ models: ['prod/claude'], limits: { usdPerDay: 50 } });

    const broken = await within(20_000, 'on-mars Ready=False', async () => {
      const p = await policy('on-mars');
      return condition(p, 'Ready')?.status === 'False' && p;
    });
    expect(condition(broken, 'Ready')?.reason).toBe('InvalidSpec');
    expect(condition(broken, 'Ready')?.message).toContain('spec.timeZone');
    expect(broken.status?.usage).toBeUndefined();
  });

  it('shows zero use with the window end before anything is spent', async () => {
    const p = await within(20_000, 'usage in status', async () => {
      const x = await policy('ml-budget');
      return x.status?.usage && x;
    });
    const day = p.status?.usage?.find((u) => u.limit === 'usdPerDay');
    expect(day).toMatchObject({ max: 50, used: 0 });
    const tomorrow = new Date();
    tomorrow.setUTCHours(24, 0, 0, 0);
    expect(Date.parse(day?.resetsAt ?? '')).toBe(tomorrow.getTime());
    expect(p.status?.usage?.find((u) => u.limit === 'requestsPerMinute')).toMatchObject({ max: 1000, used: 0 });
    expect(condition(p, 'Exceeded')).toMatchObject({ status: 'False', reason: 'WithinLimits' });
    expect(await budgetEvents('ml-budget')).toEqual([]);
  });

  it('shows use written into Redis and warns once at 80 %', async () => {
    const minuteEnd = new Date();
    minuteEnd.setUTCSeconds(60, 0);
    await spend(41);
    const p = await within(20_000, 'usdPerDay 41 in status', async () => {
      const x = await policy('ml-budget');
      return x.status?.usage?.find((u) => u.limit === 'usdPerDay')?.used === 41 && x;
    });
    // The request counts in its minute (unless that minute ended before the reading).
    const rpm = p.status?.usage?.find((u) => u.limit === 'requestsPerMinute');
    if (rpm?.resetsAt === minuteEnd.toISOString()) expect(rpm.used).toBe(1);
    else expect(Date.parse(rpm?.resetsAt ?? '')).toBeGreaterThan(minuteEnd.getTime());
    expect(condition(p, 'Exceeded')?.status).toBe('False');
    expect(await within(10_000, 'BudgetWarning', async () => (await budgetEvents('ml-budget')).length === 1)).toBe(
      true,
    );
    // More spend under 100 % and more refreshes record no second warning.
    await spend(4);
    await within(20_000, 'usdPerDay 45', async () =>
      (await policy('ml-budget')).status?.usage?.some((u) => u.limit === 'usdPerDay' && u.used === 45),
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(await budgetEvents('ml-budget')).toEqual(['BudgetWarning']);
  });

  it('marks the policy Exceeded at 100 % with one BudgetExceeded Event', async () => {
    await spend(5);
    const p = await within(20_000, 'Exceeded', async () => {
      const x = await policy('ml-budget');
      return condition(x, 'Exceeded')?.status === 'True' && x;
    });
    expect(condition(p, 'Exceeded')?.reason).toBe('UsdPerDay');
    expect(condition(p, 'Exceeded')?.message).toContain('usdPerDay: 50.00 USD of 50.00 USD until');
    const events = await within(10_000, 'BudgetExceeded', async () => {
      const e = await budgetEvents('ml-budget');
      return e.length === 2 && e;
    });
    expect(events).toEqual(['BudgetExceeded', 'BudgetWarning']);
    const all = (await admin.list<EventObject>(pathFor(RESOURCES.events, NS))).items;
    const exceeded = all.find((e) => e.reason === 'BudgetExceeded');
    expect(exceeded?.type).toBe('Warning');
    expect(exceeded?.note).toMatch(/^UsagePolicy ml-budget: usdPerDay 50\.00 of 50\.00 USD spent \(100 %/);
    expect(p.status?.reportedCrossings).toHaveLength(2);
  });

  it('records no crossing again after an operator restart', async () => {
    await operator?.stop();
    operator = await start();
    const before = (await policy('ml-budget')).status?.lastUpdated;
    await within(20_000, 'a refresh by the new operator', async () => {
      const x = await policy('ml-budget');
      return x.status?.lastUpdated !== before && x;
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await budgetEvents('ml-budget')).toEqual(['BudgetExceeded', 'BudgetWarning']);
  });

  it('republishes a changed spec and measures use against the new limit', async () => {
    await admin.mergePatch(pathFor(RESOURCES.usagepolicies, NS, 'ml-budget'), { spec: { limits: { usdPerDay: 100 } } });
    await within(20_000, 'the new limit in the config', async () =>
      (await publishedConfig()).usagePolicies?.some((p) => p.limits.usdPerDay === 100),
    );
    const p = await within(20_000, 'max 100 in status', async () => {
      const x = await policy('ml-budget');
      return x.status?.usage?.some((u) => u.limit === 'usdPerDay' && u.max === 100) && x;
    });
    expect(condition(p, 'Exceeded')).toMatchObject({ status: 'False', reason: 'WithinLimits' });
    expect(p.status?.observedGeneration).toBe(p.metadata.generation);
  });

  it('says when the store is down, keeps the last reading, and recovers', async () => {
    await redis.stop();
    const down = await within(20_000, 'StoreUnavailable', async () => {
      const x = await policy('ml-budget');
      return condition(x, 'Exceeded')?.status === 'Unknown' && x;
    });
    expect(condition(down, 'Exceeded')?.reason).toBe('StoreUnavailable');
    expect(down.status?.usage?.find((u) => u.limit === 'usdPerDay')?.used).toBe(50);
    await redis.start();
    // The restarted server is empty: the reading drops to zero.
    const back = await within(30_000, 'a reading after recovery', async () => {
      const x = await policy('ml-budget');
      return condition(x, 'Exceeded')?.status === 'False' && x;
    });
    expect(back.status?.usage?.find((u) => u.limit === 'usdPerDay')?.used).toBe(0);
  });
});

describe.skipIf(!availability.run)('an operator upgraded before the UsagePolicy CRD', () => {
  let cluster: Cluster;
  let admin: KubeClient;
  let operator: RunningOperator | undefined;
  const NS2 = 'upgrade';

  beforeAll(async () => {
    cluster = await startCluster({ name: 'usage-upgrade', applyCrds: false });
    admin = await cluster.client('admin');
    const crds = readCrds();
    await cluster.apply(crds.filter((c) => c.metadata.name !== 'usagepolicies.aigateway.dev'));
    await within(
      30_000,
      'CRDs served',
      async () =>
        (
          await admin.request<{ resources: Array<{ name: string }> }>('GET', '/apis/aigateway.dev/v1alpha1')
        ).resources.filter((r) => r.name === 'models' || r.name === 'provideraccounts').length === 2,
    );
    await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata: { name: ${NS2} }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: prod, namespace: ${NS2} }
spec: { region: us-east-1, auth: { type: default } }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: claude, namespace: ${NS2} }
spec: { account: prod, modelId: anthropic.claude-3-haiku-20240307-v1:0 }
`);
  }, 120_000);
  afterAll(async () => {
    await operator?.stop();
    await cluster?.stop();
  });

  it('publishes the rest of the config, then picks policies up once the CRD is applied', async () => {
    const warnings: string[] = [];
    operator = await runOperator({
      kubeConfig: cluster.kubeConfig('admin'),
      namespace: NS2,
      leaderElection: false,
      credentialChecks: false,
      usageIntervalMs: 300,
      logger: { info() {}, error() {}, warn: (_f, m) => warnings.push(m) },
    });
    const config = () =>
      admin
        .get<KubeObject & { data: Record<string, string> }>(pathFor(RESOURCES.configmaps, NS2, 'aigateway-config'))
        .then((cm) => JSON.parse(cm.data['config.json'] as string) as CompiledConfig);
    expect(
      (await within(20_000, 'config published', async () => (await config()).models.length === 1 && config())).models[0]
        ?.servedName,
    ).toBe('prod/claude');
    expect(warnings).toContain(
      'UsagePolicy is not served (apply crds/usagepolicies.aigateway.dev.yaml); publishing without usage policies',
    );

    await cluster.apply(readCrds().filter((c) => c.metadata.name === 'usagepolicies.aigateway.dev'));
    await within(30_000, 'UsagePolicy served', async () =>
      (
        await admin.request<{ resources: Array<{ name: string }> }>('GET', '/apis/aigateway.dev/v1alpha1')
      ).resources.some((r) => r.name === 'usagepolicies'),
    );
    await admin.create(pathFor(RESOURCES.usagepolicies, NS2), {
      apiVersion: 'aigateway.dev/v1alpha1',
      kind: 'UsagePolicy',
      metadata: { name: 'everyone-rpm', namespace: NS2 },
      spec: { limits: { requestsPerMinute: 60 } },
    });
    await within(60_000, 'the policy in the config', async () =>
      (await config()).usagePolicies?.some((p) => p.name === 'everyone-rpm'),
    );
    // Without a shared store there is no use to show, and status says why.
    const p = await within(20_000, 'Exceeded Unknown', async () => {
      const x = await admin.get<PolicyObject>(pathFor(RESOURCES.usagepolicies, NS2, 'everyone-rpm'));
      return condition(x, 'Exceeded') && x;
    });
    expect(condition(p, 'Exceeded')).toMatchObject({ status: 'Unknown', reason: 'NoSharedStore' });
    expect(condition(p, 'Ready')).toMatchObject({ status: 'True', reason: 'Enforced' });
    expect(p.status?.usage).toBeUndefined();
  });
});
