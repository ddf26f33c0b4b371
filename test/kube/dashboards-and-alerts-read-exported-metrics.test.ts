/**
 * Every query of the chart's Grafana dashboard and every alert of its PrometheusRule reads metrics the
 * gateway or the operator really exports, with labels those metrics really carry — so no panel stays
 * empty and no alert is silently dead after a metric is renamed. The exported names come from scraping
 * a built `aigw serve` (after requests on every surface, a throttled and a failing Bedrock call, a
 * refused caller, a partly priced model and a rejected config reload) and an operator (after it
 * reconciled a namespace and checked an account's credentials on a real kube-apiserver), never from a
 * list kept in the test.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toFile } from 'openai';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator/src/index.js';
import { type RunningOperator, runOperator } from '../../operator/src/index.js';
import { type ConfigDir, DEMO_KEY, makeConfigDir } from '../helpers/config-dir.js';
import { type ChildGateway, openaiClient, spawnGateway } from '../helpers/stack.js';
import {
  type Cluster,
  findBinary,
  kubeSuiteAvailability,
  parseYamlObjects,
  REPO_ROOT,
  startCluster,
  USERS,
} from './harness.js';
import { type PromQLReads, readPromQL, readVariableQuery } from './promql-names.js';

const run = promisify(execFile);
const availability = kubeSuiteAvailability(['kube-apiserver', 'etcd', 'helm']);
const CHART = join(REPO_ROOT, 'charts/aigateway');
const NS = 'observed';

/** Labels Prometheus (with the Prometheus Operator's scrape configs) adds to every scraped series. */
const TARGET_LABELS = new Set(['namespace', 'pod', 'job', 'instance', 'container', 'service', 'endpoint']);

const NOVA_LITE = 'demo/amazon-nova-lite-v1-0';
const NOVA_CANVAS = 'demo/amazon-nova-canvas-v1-0';
const HALF_PRICED = 'demo/half-priced-nova';
// A Model with an input price only: served, and counted as a request without a (full) price.
const HALF_PRICED_MODEL = `apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: half-priced-nova, namespace: default }
spec: { account: demo, modelId: "amazon.nova-lite-v1:0", pricing: { inputPerMillionTokens: 1 } }
`;

/** What one /metrics scrape exports: every series name a query may use, and the labels seen on each. */
interface Exposition {
  /** Names a query can select: sample names, and the _bucket/_sum/_count (or _total) series of each family. */
  names: Set<string>;
  /** Label names seen on samples of each name. */
  labels: Map<string, Set<string>>;
}

function parseExposition(text: string): Exposition {
  const names = new Set<string>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      names.add(name);
      if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
      if (kind === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+( \d+)?$/.exec(line);
    if (!sample) throw new Error(`unparsable metrics line: ${line}`);
    const name = sample[1] as string;
    names.add(name);
    const seen = labels.get(name) ?? new Set<string>();
    for (const m of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)) seen.add(m[1] as string);
    labels.set(name, seen);
  }
  return { names, labels };
}

function merge(a: Exposition, b: Exposition): Exposition {
  const labels = new Map(a.labels);
  for (const [name, set] of b.labels) labels.set(name, new Set([...(labels.get(name) ?? []), ...set]));
  return { names: new Set([...a.names, ...b.names]), labels };
}

async function helm(args: string[]): Promise<string> {
  const { stdout } = await run(findBinary('helm') as string, args, {
    env: {
      ...process.env,
      HELM_CACHE_HOME: '/tmp/aigw-helm/cache',
      HELM_CONFIG_HOME: '/tmp/aigw-helm/config',
      HELM_DATA_HOME: '/tmp/aigw-helm/data',
    },
    maxBuffer: 32 * 1024 * 1024,
  });
  return stdout;
}

/** Every query of the dashboard file and of the rendered PrometheusRule, with where it comes from. */
async function queries(): Promise<Array<{ where: string; reads: PromQLReads }>> {
  const out: Array<{ where: string; reads: PromQLReads }> = [];
  const dashboard = JSON.parse(readFileSync(join(CHART, 'dashboards/aigateway.json'), 'utf8')) as {
    panels: Array<{ title: string; targets?: Array<{ expr: string; refId: string }> }>;
    templating: { list: Array<{ name: string; type: string; query: string | { query: string } }> };
  };
  for (const p of dashboard.panels)
    for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}" ${t.refId}`, reads: readPromQL(t.expr) });
  for (const v of dashboard.templating.list) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : v.query.query;
    out.push({ where: `variable ${v.name}`, reads: readVariableQuery(q) });
  }
  const rendered = parseYamlObjects(
    await helm([
      'template',
      'aigateway',
      CHART,
      '--namespace',
      NS,
      '--set',
      'prometheusRule.enabled=true,prometheusRule.force=true',
    ]),
  );
  const rule = rendered.find((o) => o.kind === 'PrometheusRule') as unknown as {
    spec: { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  };
  for (const r of rule.spec.groups.flatMap((g) => g.rules))
    out.push({ where: `alert ${r.alert}`, reads: readPromQL(r.expr) });
  return out;
}

function fault(emulator: RunningEmulator, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify(body) });
}

function png(w: number, h: number, rgba: (x: number) => [number, number, number, number]): Buffer {
  const p = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) p.data.set(rgba(x), (y * w + x) * 4);
  return PNG.sync.write(p);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!availability.run)('the dashboard and the alerts', () => {
  let emulator: RunningEmulator;
  let config: ConfigDir;
  let gateway: ChildGateway;
  let cluster: Cluster;
  let operator: RunningOperator | undefined;
  let denied: RunningOperator | undefined;
  let exported: Exposition;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    config = await makeConfigDir({ emulatorUrl: emulator.url, extraFiles: { 'half-priced.yaml': HALF_PRICED_MODEL } });
    gateway = await spawnGateway(['--config', config.dir], {
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const client = openaiClient(gateway.url, DEMO_KEY);
    const messages = [{ role: 'user' as const, content: 'how busy is the gateway?' }];

    // Every surface: chat (streamed too), embeddings, image generation, an image edit with a mask.
    await client.chat.completions.create({ model: NOVA_LITE, messages });
    const stream = await client.chat.completions.create({
      model: NOVA_LITE,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _ of stream);
    await client.embeddings.create({ model: 'demo/amazon-titan-embed-text-v2-0', input: 'metrics' });
    await client.images.generate({ model: NOVA_CANVAS, prompt: 'a dashboard', size: '1024x1024' });
    await client.images.edit({
      model: NOVA_CANVAS,
      prompt: 'paint the left half',
      image: await toFile(
        png(64, 32, () => [20, 40, 200, 255]),
        'source.png',
        { type: 'image/png' },
      ),
      mask: await toFile(
        png(64, 32, (x) => (x < 32 ? [0, 0, 0, 0] : [0, 0, 0, 255])),
        'mask.png',
        {
          type: 'image/png',
        },
      ),
    });
    // A model without an output price.
    await client.chat.completions.create({ model: HALF_PRICED, messages });
    // Bedrock throttles until the retries run out (429), then fails with a 500 (a 5xx for the caller).
    await fault(emulator, { type: 'throttle', model: 'amazon.nova-lite-v1:0', count: 10 });
    await expect(client.chat.completions.create({ model: NOVA_LITE, messages })).rejects.toMatchObject({ status: 429 });
    await fetch(`${emulator.url}/_emulator/faults`, { method: 'DELETE' });
    await fault(emulator, { type: 'error', model: 'amazon.nova-lite-v1:0', status: 500, count: 10 });
    await expect(client.chat.completions.create({ model: NOVA_LITE, messages })).rejects.toMatchObject({
      status: expect.any(Number),
    });
    await fetch(`${emulator.url}/_emulator/faults`, { method: 'DELETE' });
    // A refused caller and an unknown model.
    await expect(openaiClient(gateway.url, 'sk-not-a-key').models.list()).rejects.toMatchObject({ status: 401 });
    await expect(client.chat.completions.create({ model: 'demo/nope', messages })).rejects.toMatchObject({
      status: 404,
    });
    // A config the gateway refuses (it keeps serving the last good one).
    await config.write(
      'broken.yaml',
      'apiVersion: aigateway.dev/v1alpha1\nkind: Model\nmetadata: { name: broken }\nspec: { account: demo, modelId: "not a model id" }\n',
    );
    await until('a rejected reload', async () =>
      /aigw_config_reload_total\{result="rejected"\} [1-9]/.test(
        await (await fetch(`${gateway.adminUrl}/metrics`)).text(),
      ),
    );
    const gatewayScrape = parseExposition(await (await fetch(`${gateway.adminUrl}/metrics`)).text());

    // The operator: a namespace with an account whose credentials it checks against the emulator's STS.
    cluster = await startCluster({ name: 'dashboards' });
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
    // And one that may read its namespace but not publish to it, so its reconciles fail.
    await cluster.apply(`
apiVersion: v1
kind: Namespace
metadata: { name: ${NS}-denied }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: read-only, namespace: ${NS}-denied }
rules:
  - { apiGroups: ["", aigateway.dev, apps], resources: ["*"], verbs: [get, list, watch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: bob-reads, namespace: ${NS}-denied }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-only }
subjects: [{ kind: User, name: ${USERS.bob.name} }]
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: team, namespace: ${NS}-denied }
spec: { region: us-east-1, endpoint: ${emulator.url}, auth: { type: default } }
`);
    const quiet = { info() {}, warn() {}, error() {} };
    operator = await runOperator({
      kubeConfig: cluster.kubeConfig('admin'),
      namespace: NS,
      leaderElection: false,
      metricsPort: 0,
      healthHost: '127.0.0.1',
      logger: quiet,
    });
    denied = await runOperator({
      kubeConfig: cluster.kubeConfig('bob'),
      namespace: `${NS}-denied`,
      leaderElection: false,
      credentialChecks: false,
      metricsPort: 0,
      healthHost: '127.0.0.1',
      logger: quiet,
    });
    let operatorText = '';
    let deniedText = '';
    await until('a reconcile, a failed reconcile and a credential check', async () => {
      operatorText = await (await fetch(`${operator?.metricsUrl}/metrics`)).text();
      deniedText = await (await fetch(`${denied?.metricsUrl}/metrics`)).text();
      return (
        /^aigw_operator_credential_checks_total\{result="Verified"\} [1-9]/m.test(operatorText) &&
        /^aigw_operator_reconcile_duration_seconds_count\{[^}]*\} [1-9]/m.test(operatorText) &&
        /^aigw_operator_reconcile_errors_total\{[^}]*\} [1-9]/m.test(deniedText)
      );
    });
    exported = merge(gatewayScrape, merge(parseExposition(operatorText), parseExposition(deniedText)));
  }, 180_000);

  afterAll(async () => {
    gateway?.kill('SIGKILL');
    await gateway?.exited;
    await operator?.stop();
    await denied?.stop();
    await cluster?.stop();
    await emulator?.close();
    await config?.remove();
  });

  it('name only metrics the gateway or the operator exports, each with data after the requests above', async () => {
    const all = await queries();
    const names = new Set(all.flatMap((q) => q.reads.selectors.map((s) => s.name)));
    // The extractor found the families the dashboard is about (guards against a parser that reads nothing).
    expect(names.size).toBeGreaterThanOrEqual(25);
    const missing = all.flatMap((q) =>
      q.reads.selectors.filter((s) => !exported.names.has(s.name)).map((s) => `${q.where}: ${s.name}`),
    );
    expect(missing).toEqual([]);
    // Not only declared: every series a query reads has samples, so no panel or alert reads nothing.
    const empty = [...names].filter((n) => !exported.labels.has(n));
    expect(empty).toEqual([]);
  });

  it('filter and group only by labels those metrics carry (or Prometheus adds to every target)', async () => {
    const wrong: string[] = [];
    for (const { where, reads } of await queries()) {
      const carried = new Set<string>(TARGET_LABELS);
      for (const s of reads.selectors) for (const l of exported.labels.get(s.name) ?? []) carried.add(l);
      for (const s of reads.selectors) {
        const own = exported.labels.get(s.name) ?? new Set<string>();
        for (const l of s.labels) if (!own.has(l) && !TARGET_LABELS.has(l)) wrong.push(`${where}: ${s.name}{${l}}`);
      }
      for (const l of reads.groupingLabels) if (!carried.has(l)) wrong.push(`${where}: by/on (${l})`);
    }
    expect(wrong).toEqual([]);
  });
});
