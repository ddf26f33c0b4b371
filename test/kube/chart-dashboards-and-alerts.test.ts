/**
 * What the chart gives a platform team that runs the Prometheus Operator and Grafana: a dashboard in a
 * ConfigMap the Grafana sidecar picks up, a PrometheusRule whose alerts each link to a runbook in
 * docs/operations.md, take their thresholds from values, pass `promtool check rules` and fire (only)
 * on their conditions in `promtool test rules`, and a PodMonitor or a ServiceMonitor — never both —
 * for the gateway and the operator.
 * Whether every query names an exported metric is dashboards-and-alerts-read-exported-metrics.test.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { KubeObject } from '../../operator/src/kube/index.js';
import { findBinary, kubeSuiteAvailability, parseYamlObjects, REPO_ROOT } from './harness.js';

const run = promisify(execFile);
const availability = kubeSuiteAvailability(['helm']);
const CHART = join(REPO_ROOT, 'charts/aigateway');
const NS = 'observability';
/** Grafana's reference to the dashboard's data-source variable. */
const DATASOURCE_VAR = ['$', '{datasource}'].join('');
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));

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

async function render(set: string[], apiVersions: string[] = ['monitoring.coreos.com/v1']): Promise<KubeObject[]> {
  return parseYamlObjects(
    await helm([
      'template',
      'aigateway',
      CHART,
      '--namespace',
      NS,
      ...set.flatMap((s) => ['--set', s]),
      ...apiVersions.flatMap((v) => ['--api-versions', v]),
    ]),
  );
}

function only(objects: KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; refId: string; datasource?: { uid: string } }>;
  gridPos: { h: number; w: number; x: number; y: number };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: unknown }> };
}

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  return new Set(
    markdown
      .split('\n')
      .filter((l) => /^#{1,6} /.test(l))
      .map((l) =>
        l
          .replace(/^#+ /, '')
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 _-]/g, '')
          .replace(/ /g, '-'),
      ),
  );
}

describe.skipIf(!availability.run)('chart dashboards and alerts', () => {
  it('renders no dashboard, rule or monitor unless asked', async () => {
    const objects = await render([]);
    for (const kind of ['PrometheusRule', 'PodMonitor', 'ServiceMonitor']) expect(only(objects, kind)).toEqual([]);
    expect(objects.some((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboards'))).toBe(false);
  });

  it('puts the dashboard file in a ConfigMap the Grafana sidecar finds, with the folder annotation', async () => {
    const file = readFileSync(join(CHART, 'dashboards/aigateway.json'), 'utf8');
    const [cm] = only(await render(['dashboards.enabled=true']), 'ConfigMap') as Array<
      KubeObject & { data: Record<string, string> }
    >;
    expect(cm?.metadata).toMatchObject({ name: 'aigateway-dashboards', namespace: NS });
    expect(cm?.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(cm?.metadata.annotations).toBeUndefined();
    expect(cm?.data['aigateway.json']).toBe(file.trimEnd());

    const custom = only(
      await render([
        'dashboards.enabled=true',
        'dashboards.label=dashboards',
        'dashboards.labelValue=aigw',
        'dashboards.folder=AI Gateway',
        'dashboards.folderAnnotation=k8s-sidecar-target-directory',
        'dashboards.namespace=monitoring',
        'dashboards.labels.team=platform',
      ]),
      'ConfigMap',
    )[0];
    expect(custom?.metadata.namespace).toBe('monitoring');
    expect(custom?.metadata.labels).toMatchObject({ dashboards: 'aigw', team: 'platform' });
    expect(custom?.metadata.labels).not.toHaveProperty('grafana_dashboard');
    expect(custom?.metadata.annotations).toEqual({ 'k8s-sidecar-target-directory': 'AI Gateway' });
    // `--set dashboards.labelValue=1` passes a number; the label is still the string the sidecar matches.
    const numeric = only(await render(['dashboards.enabled=true', 'dashboards.labelValue=1']), 'ConfigMap')[0];
    expect(numeric?.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
  });

  it('ships a dashboard with a Prometheus data-source variable, namespace/account/model filters and the expected panels', () => {
    const dashboard = JSON.parse(readFileSync(join(CHART, 'dashboards/aigateway.json'), 'utf8')) as Dashboard;
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    const vars = dashboard.templating.list;
    expect(vars.map((v) => v.name)).toEqual(['datasource', 'namespace', 'account', 'model']);
    expect(vars[0]).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const v of vars.slice(1)) expect(v).toMatchObject({ type: 'query', datasource: { uid: DATASOURCE_VAR } });

    const titles = dashboard.panels.map((p) => p.title);
    expect(dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual([
      'Overview',
      'Traffic and errors',
      'Latency and overhead',
      'Tokens and spend',
      'Upstream (Bedrock)',
      'Image work',
      'Config',
      'Operator',
      'Runtime',
    ]);
    for (const t of [
      'Requests by route',
      'Responses by status',
      'Request latency',
      'Gateway overhead (p99)',
      'Time to first token',
      'Tokens per second by kind',
      'Spend by account',
      'Spend by model',
      'Spend by team',
      'Requests without a price',
      'Throttled share of Bedrock calls',
      'Bedrock errors by exception',
      'Image jobs pending',
      'Config reloads by result',
      'Config revisions in service',
      'Reconciles by result',
      'Reconcile errors',
      'Work queue depth',
      'Leader',
      'Credential checks by result',
    ])
      expect(titles).toContain(t);

    const ids = new Set<number>();
    for (const p of dashboard.panels) {
      const id = (p as unknown as { id: number }).id;
      expect(ids.has(id), `panel id ${id} repeats`).toBe(false);
      ids.add(id);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      // Panel types every Grafana since 8 ships.
      expect(['row', 'timeseries', 'stat', 'bargauge', 'table'], p.title).toContain(p.type);
      if (p.type === 'row') continue;
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, `${p.title} repeats a refId`).toBe(refIds.length);
      // Every query goes to the chosen data source, filtered to the chosen namespace.
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: DATASOURCE_VAR });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        expect(t.datasource?.uid, p.title).toBe(DATASOURCE_VAR);
        expect(t.expr, p.title).toContain('namespace=~"$namespace"');
      }
    }
    // Panels do not overlap.
    const cells = new Set<string>();
    for (const p of dashboard.panels)
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
  });

  it('renders alerts with summary, description and a runbook that docs/operations.md has', async () => {
    const [rule] = only(
      await render(['prometheusRule.enabled=true', 'prometheusRule.labels.release=kube-prometheus-stack']),
      'PrometheusRule',
    ) as Array<KubeObject & { spec: { groups: Array<{ name: string; rules: Rule[] }> } }>;
    expect(rule?.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    const rules = rule?.spec.groups.flatMap((g) => g.rules) ?? [];
    expect(rules.map((r) => r.alert)).toEqual([
      'AigwGatewayErrorRate',
      'AigwBedrockThrottling',
      'AigwConfigReloadFailures',
      'AigwStaleConfigRevision',
      'AigwCredentialsNotReady',
      'AigwOperatorNoLeader',
    ]);
    const operations = anchors(readFileSync(join(REPO_ROOT, 'docs/operations.md'), 'utf8'));
    for (const r of rules) {
      expect(r.annotations.summary?.length, r.alert).toBeGreaterThan(30);
      expect(r.annotations.description?.length, r.alert).toBeGreaterThan(30);
      const runbook = new URL(r.annotations.runbook_url as string);
      expect(runbook.pathname, r.alert).toMatch(/\/docs\/operations\.md$/);
      expect(operations.has(runbook.hash.slice(1)), `${r.alert}: docs/operations.md has no ${runbook.hash}`).toBe(true);
      // Scoped to the release namespace, so two installs never alert on each other.
      expect(r.expr, r.alert).toContain(`namespace="${NS}"`);
      expect(r.labels.severity, r.alert).toMatch(/^(critical|warning)$/);
    }
  });

  it('takes thresholds, durations, severities, alert labels and the runbook base from values', async () => {
    const [rule] = only(
      await render([
        'prometheusRule.enabled=true',
        'prometheusRule.errorRate.threshold=0.2',
        'prometheusRule.errorRate.for=15m',
        'prometheusRule.bedrockThrottling.threshold=0.01',
        'prometheusRule.staleConfigRevision.for=30m',
        'prometheusRule.operatorDown.severity=page',
        'prometheusRule.alertLabels.team=platform',
        'prometheusRule.runbookBaseUrl=https://wiki.example.com/aigw/',
      ]),
      'PrometheusRule',
    ) as Array<KubeObject & { spec: { groups: Array<{ rules: Rule[] }> } }>;
    const byName = new Map((rule?.spec.groups.flatMap((g) => g.rules) ?? []).map((r) => [r.alert, r]));
    expect(byName.get('AigwGatewayErrorRate')?.expr).toMatch(/> 0\.2\s*$/);
    expect(byName.get('AigwGatewayErrorRate')?.for).toBe('15m');
    expect(byName.get('AigwGatewayErrorRate')?.annotations.summary).toContain('20%');
    expect(byName.get('AigwBedrockThrottling')?.expr).toMatch(/> 0\.01\s*$/);
    expect(byName.get('AigwStaleConfigRevision')?.for).toBe('30m');
    expect(byName.get('AigwOperatorNoLeader')?.labels).toMatchObject({ severity: 'page', team: 'platform' });
    expect(byName.get('AigwConfigReloadFailures')?.annotations.runbook_url).toBe(
      'https://wiki.example.com/aigw#aigwconfigreloadfailures',
    );
    await expect(render(['prometheusRule.errorRate.threshold=5'])).rejects.toThrow(/schema/);
    await expect(render(['prometheusRule.errorRate.for=soon'])).rejects.toThrow(/schema/);
  });

  if (!PROMTOOL) {
    if (process.env.CI === 'true') throw new Error('promtool is required in CI (Debian package prometheus)');
    console.warn('promtool check rules skipped: promtool not installed (apt-get install prometheus)');
  }
  it.skipIf(!PROMTOOL)('passes promtool check rules', async () => {
    const [rule] = only(
      await render(['prometheusRule.enabled=true', 'prometheusRule.alertLabels.team=platform']),
      'PrometheusRule',
    ) as Array<KubeObject & { spec: { groups: unknown[] } }>;
    const dir = mkdtempSync(join(tmpdir(), 'aigw-rules-'));
    try {
      const file = join(dir, 'rules.yaml');
      writeFileSync(file, stringify({ groups: rule?.spec.groups }));
      const { stdout } = await run(PROMTOOL as string, ['check', 'rules', file]);
      expect(stdout).toContain('SUCCESS: 6 rules found');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!PROMTOOL)(
    'fires each alert on the condition it names, and stays quiet otherwise (promtool test rules)',
    async () => {
      const [rule] = only(await render(['prometheusRule.enabled=true']), 'PrometheusRule') as Array<
        KubeObject & { spec: { groups: unknown[] } }
      >;
      const ns = `namespace="${NS}"`;
      const runbook = (alert: string) =>
        `https://github.com/aigateway/aigateway/blob/main/docs/operations.md#${alert.toLowerCase()}`;
      const fires = (
        alertname: string,
        eval_time: string,
        labels: Record<string, string>,
        summary: string,
        description: string,
      ) => ({
        eval_time,
        alertname,
        exp_alerts: [
          { exp_labels: labels, exp_annotations: { summary, description, runbook_url: runbook(alertname) } },
        ],
      });
      const quiet = (alertname: string, eval_time: string) => ({ eval_time, alertname, exp_alerts: [] });
      const route = 'route="/v1/chat/completions",account="prod",model="m"';
      const upstream = 'account="prod",region="us-east-1"';
      const tests = [
        {
          // 10 of 100 requests a minute fail: above 5 % for longer than 5 minutes.
          interval: '1m',
          input_series: [
            { series: `aigw_requests_total{${ns},${route},status="502"}`, values: '0+10x30' },
            { series: `aigw_requests_total{${ns},${route},status="200"}`, values: '0+90x30' },
            {
              series: `aigw_upstream_errors_total{${ns},${upstream},exception="ThrottlingException"}`,
              values: '0+20x30',
            },
            {
              series: `aigw_upstream_attempts_total{${ns},${upstream},operation="Converse",outcome="ok"}`,
              values: '0+80x30',
            },
            {
              series: `aigw_upstream_attempts_total{${ns},${upstream},operation="Converse",outcome="retried"}`,
              values: '0+20x30',
            },
            { series: `aigw_config_reload_total{${ns},pod="gw-1",result="rejected"}`, values: '0 0 1x28' },
            { series: `aigw_config_reload_total{${ns},pod="gw-2",result="loaded"}`, values: '0 0 1x28' },
            { series: `aigw_config_revision_info{${ns},pod="gw-1",revision="r1"}`, values: '1x30' },
            { series: `aigw_config_revision_info{${ns},pod="gw-2",revision="r2"}`, values: '1x30' },
            { series: `aigw_operator_credential_checks_total{${ns},result="AccessDenied"}`, values: '0+1x30' },
            { series: `aigw_operator_leader{${ns},pod="op-1"}`, values: '0x30' },
          ],
          alert_rule_test: [
            quiet('AigwGatewayErrorRate', '4m'),
            fires(
              'AigwGatewayErrorRate',
              '10m',
              { namespace: NS, severity: 'critical' },
              'The gateway answers more than 5% of requests with a 5xx.',
              `10% of requests in namespace ${NS} got a 5xx over the last 5 minutes.`,
            ),
            quiet('AigwBedrockThrottling', '9m'),
            fires(
              'AigwBedrockThrottling',
              '20m',
              { namespace: NS, account: 'prod', region: 'us-east-1', severity: 'warning' },
              "Bedrock throttles more than 5% of the gateway's calls for an account.",
              'Bedrock refused 20% of the calls of account prod in us-east-1 with ThrottlingException over the last 5 minutes.',
            ),
            fires(
              'AigwConfigReloadFailures',
              '9m',
              { namespace: NS, pod: 'gw-1', severity: 'warning' },
              'A gateway replica rejects the compiled config and keeps serving an older one.',
              `Gateway pod gw-1 in namespace ${NS} rejected a compiled config in the last 10 minutes and still serves an older revision.`,
            ),
            // The rejection left the 10-minute window.
            quiet('AigwConfigReloadFailures', '25m'),
            quiet('AigwStaleConfigRevision', '9m'),
            fires(
              'AigwStaleConfigRevision',
              '12m',
              { namespace: NS, severity: 'warning' },
              'Gateway replicas serve different config revisions.',
              `2 config revisions are in service at once in namespace ${NS}: some replicas did not load the latest compiled config.`,
            ),
            fires(
              'AigwCredentialsNotReady',
              '20m',
              { namespace: NS, severity: 'warning' },
              'The operator cannot verify the credentials of a ProviderAccount.',
              `Credential checks of ProviderAccounts in namespace ${NS} failed in the last 15 minutes; kubectl get provideraccounts -o wide shows which and why (CredentialsReady).`,
            ),
            fires(
              'AigwOperatorNoLeader',
              '10m',
              { namespace: NS, severity: 'critical' },
              'No operator replica leads, or none is scraped.',
              `No aigateway operator in namespace ${NS} holds the lease: ProviderAccount and Model changes are not compiled and published.`,
            ),
          ],
        },
        {
          // Healthy: 1 % errors, 1 % throttled, one revision, verified credentials, a leader.
          interval: '1m',
          input_series: [
            { series: `aigw_requests_total{${ns},${route},status="500"}`, values: '0+1x30' },
            { series: `aigw_requests_total{${ns},${route},status="200"}`, values: '0+99x30' },
            {
              series: `aigw_upstream_errors_total{${ns},${upstream},exception="ThrottlingException"}`,
              values: '0+1x30',
            },
            {
              series: `aigw_upstream_attempts_total{${ns},${upstream},operation="Converse",outcome="ok"}`,
              values: '0+99x30',
            },
            { series: `aigw_config_revision_info{${ns},pod="gw-1",revision="r2"}`, values: '1x30' },
            { series: `aigw_config_revision_info{${ns},pod="gw-2",revision="r2"}`, values: '1x30' },
            { series: `aigw_operator_credential_checks_total{${ns},result="Verified"}`, values: '0+1x30' },
            { series: `aigw_operator_leader{${ns},pod="op-1"}`, values: '1x30' },
            { series: `aigw_operator_leader{${ns},pod="op-2"}`, values: '0x30' },
            // Another release's namespace does not count.
            { series: 'aigw_operator_leader{namespace="elsewhere",pod="op-3"}', values: '0x30' },
            { series: 'aigw_requests_total{namespace="elsewhere",status="503"}', values: '0+100x30' },
          ],
          alert_rule_test: [
            'AigwGatewayErrorRate',
            'AigwBedrockThrottling',
            'AigwConfigReloadFailures',
            'AigwStaleConfigRevision',
            'AigwCredentialsNotReady',
            'AigwOperatorNoLeader',
          ].map((a) => quiet(a, '25m')),
        },
        {
          // No operator scraped at all.
          interval: '1m',
          input_series: [{ series: `aigw_requests_total{${ns},${route},status="200"}`, values: '0+1x30' }],
          alert_rule_test: [
            fires(
              'AigwOperatorNoLeader',
              '10m',
              { namespace: NS, severity: 'critical' },
              'No operator replica leads, or none is scraped.',
              `No aigateway operator in namespace ${NS} holds the lease: ProviderAccount and Model changes are not compiled and published.`,
            ),
          ],
        },
      ];
      const dir = mkdtempSync(join(tmpdir(), 'aigw-rules-'));
      try {
        writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rule?.spec.groups }));
        writeFileSync(
          join(dir, 'tests.yaml'),
          stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }),
        );
        const result = await run(PROMTOOL as string, ['test', 'rules', join(dir, 'tests.yaml')]).catch(
          (err: { stdout?: string; stderr?: string }) => ({ stdout: `${err.stdout}${err.stderr}` }),
        );
        expect(result.stdout).toContain('SUCCESS');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('scrapes the gateway admin port and the operator metrics port with a ServiceMonitor or a PodMonitor', async () => {
    const services = await render(['gateway.serviceMonitor.enabled=true']);
    expect(only(services, 'PodMonitor')).toEqual([]);
    expect(
      only(services, 'ServiceMonitor').map((m) => [m.metadata.name, (m as unknown as { spec: unknown }).spec]),
    ).toEqual([
      [
        'aigateway-gateway',
        {
          selector: {
            matchLabels: {
              'app.kubernetes.io/name': 'aigateway',
              'app.kubernetes.io/instance': 'aigateway',
              'app.kubernetes.io/component': 'gateway',
            },
          },
          endpoints: [{ port: 'admin', path: '/metrics', interval: '30s' }],
        },
      ],
      [
        'aigateway-operator',
        {
          selector: {
            matchLabels: {
              'app.kubernetes.io/name': 'aigateway',
              'app.kubernetes.io/instance': 'aigateway',
              'app.kubernetes.io/component': 'operator',
            },
          },
          endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }],
        },
      ],
    ]);
    // The Services the ServiceMonitors select carry the named ports.
    const ports = (name: string) =>
      (
        services.find((o) => o.kind === 'Service' && o.metadata.name === name) as unknown as {
          spec: { ports: Array<{ name: string; port: number }> };
        }
      ).spec.ports.map((p) => [p.name, p.port]);
    expect(ports('aigateway-gateway')).toContainEqual(['admin', 9090]);
    expect(ports('aigateway-operator-metrics')).toEqual([['metrics', 9091]]);

    const pods = await render([
      'gateway.podMonitor.enabled=true',
      'gateway.podMonitor.interval=15s',
      'gateway.podMonitor.labels.release=prom',
      'operator.metricsPort=9300',
    ]);
    expect(only(pods, 'ServiceMonitor')).toEqual([]);
    const monitors = only(pods, 'PodMonitor') as Array<
      KubeObject & { spec: { podMetricsEndpoints: unknown[]; selector: { matchLabels: Record<string, string> } } }
    >;
    expect(monitors.map((m) => m.metadata.name)).toEqual(['aigateway-gateway', 'aigateway-operator']);
    expect(monitors.map((m) => m.spec.podMetricsEndpoints)).toEqual([
      [{ port: 'admin', path: '/metrics', interval: '15s' }],
      [{ port: 'metrics', path: '/metrics', interval: '15s' }],
    ]);
    for (const m of monitors) expect(m.metadata.labels).toMatchObject({ release: 'prom' });
    // The pods carry the ports the PodMonitors name.
    const operator = pods.find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'aigateway-operator',
    ) as unknown as {
      spec: { template: { spec: { containers: Array<{ args: string[]; ports: Array<{ name: string }> }> } } };
    };
    const container = operator.spec.template.spec.containers[0];
    expect(container?.ports).toContainEqual({ name: 'metrics', containerPort: 9300, protocol: 'TCP' });
    expect(container?.args.join(' ')).toContain('--metrics-port 9300');

    // Without the Prometheus Operator's API nothing is rendered (the install would fail), unless forced.
    expect(only(await render(['gateway.podMonitor.enabled=true'], []), 'PodMonitor')).toEqual([]);
    expect(only(await render(['prometheusRule.enabled=true'], []), 'PrometheusRule')).toEqual([]);
    expect(
      only(await render(['gateway.podMonitor.enabled=true', 'gateway.podMonitor.force=true'], []), 'PodMonitor'),
    ).toHaveLength(2);
    expect(
      only(await render(['prometheusRule.enabled=true', 'prometheusRule.force=true'], []), 'PrometheusRule'),
    ).toHaveLength(1);
  });
});
