/**
 * With an OTLP endpoint and `OTEL_LOGS_EXPORTER=otlp`, `aigw serve` pushes the GenAI metrics under their
 * OpenTelemetry names (with the convention's attributes and bucket boundaries) and one log record per
 * request to a real OpenTelemetry Collector (docs/configuration.md, OTLP metrics and Usage records).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator/src/index.js';
import { GEN_AI_BUCKETS } from '../../gateway/src/telemetry/index.js';
import { type ConfigDir, DEMO_KEY, makeConfigDir } from '../helpers/config-dir.js';
import {
  type AttrValue,
  type Collector,
  decodeAttributes,
  type OtlpKeyValue,
  otelcolAvailability,
  startCollector,
} from '../helpers/otelcol.js';
import { type ChildGateway, openaiClient, spawnGateway } from '../helpers/stack.js';

const availability = otelcolAvailability();
const MISTRAL = 'demo/mistral-mistral-large-2407-v1-0';
const PROMPT = 'Describe the blue-heron-5521 in one line';

interface HistogramPoint {
  attributes: Record<string, AttrValue>;
  count: number;
  sum: number;
  explicitBounds: number[];
}

interface OtlpBatch {
  resourceMetrics?: Array<{
    scopeMetrics?: Array<{
      metrics?: Array<{
        name: string;
        unit?: string;
        histogram?: {
          dataPoints?: Array<{
            attributes?: OtlpKeyValue[];
            count?: string | number;
            sum?: number;
            explicitBounds?: number[];
          }>;
        };
      }>;
    }>;
  }>;
  resourceLogs?: Array<{
    scopeLogs?: Array<{
      logRecords?: Array<{ body?: { stringValue?: string }; attributes?: OtlpKeyValue[] }>;
    }>;
  }>;
}

/** The latest data point of each attribute set of histogram `name` (cumulative: the last export wins). */
function histogram(batches: OtlpBatch[], name: string): { unit: string | undefined; points: HistogramPoint[] } {
  const latest = new Map<string, HistogramPoint>();
  let unit: string | undefined;
  for (const b of batches)
    for (const rm of b.resourceMetrics ?? [])
      for (const sm of rm.scopeMetrics ?? [])
        for (const m of sm.metrics ?? []) {
          if (m.name !== name) continue;
          unit = m.unit;
          for (const p of m.histogram?.dataPoints ?? []) {
            const attributes = decodeAttributes(p.attributes);
            latest.set(JSON.stringify(attributes), {
              attributes,
              count: Number(p.count ?? 0),
              sum: p.sum ?? 0,
              explicitBounds: p.explicitBounds ?? [],
            });
          }
        }
  return { unit, points: [...latest.values()] };
}

function logRecords(batches: OtlpBatch[]): Array<{ body: string | undefined; attributes: Record<string, AttrValue> }> {
  const out: Array<{ body: string | undefined; attributes: Record<string, AttrValue> }> = [];
  for (const b of batches)
    for (const rl of b.resourceLogs ?? [])
      for (const sl of rl.scopeLogs ?? [])
        for (const r of sl.logRecords ?? [])
          out.push({ body: r.body?.stringValue, attributes: decodeAttributes(r.attributes) });
  return out;
}

describe.skipIf(!availability.run)('GenAI metrics and usage records over OTLP', () => {
  let collector: Collector;
  let emulator: RunningEmulator;
  let config: ConfigDir;
  let gateway: ChildGateway;
  const tokens = { input: 0, output: 0 };
  const requestIds: string[] = [];

  beforeAll(async () => {
    collector = await startCollector();
    emulator = await startEmulator({ port: 0 });
    config = await makeConfigDir({ emulatorUrl: emulator.url });
    gateway = await spawnGateway(['--config', config.dir], {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint,
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_METRIC_EXPORT_INTERVAL: '200',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
    });
    const client = openaiClient(gateway.url, DEMO_KEY);
    for (const stream of [false, true]) {
      if (stream) {
        const { data, response } = await client.chat.completions
          .create({
            model: MISTRAL,
            messages: [{ role: 'user', content: PROMPT }],
            stream: true,
            stream_options: { include_usage: true },
          })
          .withResponse();
        requestIds.push(response.headers.get('x-request-id')!);
        for await (const chunk of data)
          if (chunk.usage) {
            tokens.input += chunk.usage.prompt_tokens;
            tokens.output += chunk.usage.completion_tokens;
          }
      } else {
        const { data, response } = await client.chat.completions
          .create({ model: MISTRAL, messages: [{ role: 'user', content: PROMPT }] })
          .withResponse();
        requestIds.push(response.headers.get('x-request-id')!);
        tokens.input += data.usage!.prompt_tokens;
        tokens.output += data.usage!.completion_tokens;
      }
    }
  }, 60_000);

  afterAll(async () => {
    gateway?.kill('SIGKILL');
    await gateway?.exited;
    await emulator?.close();
    await config?.remove();
    await collector?.close();
  });

  async function waitForBatches(done: (batches: OtlpBatch[]) => boolean): Promise<OtlpBatch[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const batches = (await collector.batches()) as OtlpBatch[];
      if (done(batches)) return batches;
      if (Date.now() > deadline) throw new Error(`OTLP data did not arrive:\n${collector.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('pushes gen_ai.client.token.usage with the tokens the emulator reported', async () => {
    const batches = await waitForBatches((b) => {
      const points = histogram(b, 'gen_ai.client.token.usage').points;
      return points.reduce((n, p) => n + p.count, 0) >= 4;
    });
    const usage = histogram(batches, 'gen_ai.client.token.usage');
    expect(usage.unit).toBe('{token}');
    const input = usage.points.find((p) => p.attributes['gen_ai.token.type'] === 'input')!;
    const output = usage.points.find((p) => p.attributes['gen_ai.token.type'] === 'output')!;
    expect(input.sum).toBe(tokens.input);
    expect(output.sum).toBe(tokens.output);
    expect(input.explicitBounds).toEqual(GEN_AI_BUCKETS.tokenUsage);
    expect(input.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'aws.bedrock',
      'gen_ai.request.model': 'mistral.mistral-large-2407-v1:0',
      'gen_ai.response.model': 'mistral.mistral-large-2407-v1:0',
      'server.address': '127.0.0.1',
    });
    const duration = histogram(batches, 'gen_ai.client.operation.duration');
    expect(duration.unit).toBe('s');
    expect(duration.points.reduce((n, p) => n + p.count, 0)).toBe(2);
    expect(duration.points[0]!.explicitBounds).toEqual(GEN_AI_BUCKETS.operationDuration);
    expect(histogram(batches, 'gen_ai.server.time_to_first_token').points[0]?.count).toBe(1);
  });

  it('sends one usage record per request as an OTLP log record, without prompt text or keys', async () => {
    const batches = await waitForBatches((b) => logRecords(b).length >= requestIds.length);
    const records = logRecords(batches).filter((r) => r.body === 'request served');
    expect(records.map((r) => r.attributes['aigw.usage.requestId']).sort()).toEqual([...requestIds].sort());
    const first = records.find((r) => r.attributes['aigw.usage.requestId'] === requestIds[0])!;
    expect(first.attributes).toMatchObject({
      'aigw.usage.subject': 'user:demo@example.com',
      'aigw.usage.account': 'demo',
      'aigw.usage.model': 'mistral-mistral-large-2407-v1-0',
      'aigw.usage.status': 200,
      'aigw.usage.attempts': 1,
    });
    expect(first.attributes['aigw.usage.teams']).toEqual(['demo']);
    expect(records.reduce((n, r) => n + (r.attributes['aigw.usage.tokens.output'] as number), 0)).toBe(tokens.output);
    const text = JSON.stringify(records);
    expect(text).not.toContain('blue-heron-5521');
    expect(text).not.toContain(DEMO_KEY);
  });
});
