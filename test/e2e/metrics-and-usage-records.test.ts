/**
 * What an SRE and a FinOps lead read off a running `aigw serve` (docs/configuration.md, Metrics and Usage
 * records): after requests on every surface, `/metrics` carries the OpenTelemetry GenAI metrics with the
 * tokens the emulator reported, spend by team, unpriced requests and Bedrock's refusals by exception, and
 * passes `promtool check metrics`; stdout carries exactly one usage record per request, without prompt text
 * or credentials.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { toFile } from 'openai';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator/src/index.js';
import { type ConfigDir, DEMO_KEY, makeConfigDir } from '../helpers/config-dir.js';
import { type ChildGateway, openaiClient, spawnGateway } from '../helpers/stack.js';

const SOLO_KEY = 'sk-aigw-solo-2222222222222222';
const PROMPT = 'Tell me about the secret-garden-7431 please';
const MISTRAL = 'demo/mistral-mistral-large-2407-v1-0'; // examples/: pricing { input 2, output 6 } per million
const HALF_PRICED = 'demo/half-priced-nova'; // input price only
const SOLO_MODEL = 'solo/solo-mistral';
const NOVA_LITE = 'demo/amazon-nova-lite-v1-0';

// A second account whose only collaborator is one user: that user's team ("ghost") is named by no
// collaborator anywhere, so spend by team shows it as `other`.
const EXTRA = `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: solo, namespace: default }
spec:
  provider: aws-bedrock
  region: us-west-2
  endpoint: http://127.0.0.1:4566
  auth:
    type: accessKey
    accessKey: { secretRef: { name: demo-aws-keys } }
  collaborators:
    - { subject: "user:solo@example.com", role: User }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: solo-mistral, namespace: default }
spec: { account: solo, modelId: "mistral.mistral-large-2407-v1:0", pricing: { inputPerMillionTokens: 2, outputPerMillionTokens: 6 } }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: half-priced-nova, namespace: default }
spec: { account: demo, modelId: "amazon.nova-lite-v1:0", pricing: { inputPerMillionTokens: 1 } }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: solo-key, namespace: default }
stringData: { token: ${SOLO_KEY}, subject: "user:solo@example.com", teams: "ghost" }
`;

/** One sample of the Prometheus text format. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const m of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include `where`. */
function sum(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

/** A w×h PNG whose left half is `left` and right half `right` (RGBA). */
function png(w: number, h: number, left: number[], right: number[]): Buffer {
  const p = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) p.data.set(x < w / 2 ? left : right, (y * w + x) * 4);
  return PNG.sync.write(p);
}

function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

let emulator: RunningEmulator;
let config: ConfigDir;
let gateway: ChildGateway;
const requestIds: string[] = [];
const chatTokens = { input: 0, output: 0 };
const mistralTokens = { input: 0, output: 0 };
let soloTokens = { input: 0, output: 0 };
let metricsText = '';
let samples: Sample[] = [];
let records: Array<Record<string, unknown>> = [];

function fault(body: Record<string, unknown>): Promise<Response> {
  return fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify(body) });
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  config = await makeConfigDir({ emulatorUrl: emulator.url, extraFiles: { 'extra.yaml': EXTRA } });
  await config.write('extra.yaml', EXTRA.replaceAll('http://127.0.0.1:4566', emulator.url));
  gateway = await spawnGateway(['--config', config.dir]);
  const demo = openaiClient(gateway.url, DEMO_KEY);
  const solo = openaiClient(gateway.url, SOLO_KEY);
  const messages = [{ role: 'user' as const, content: PROMPT }];

  // Chat, not streamed and streamed (with usage), on a priced model by the demo team.
  for (const stream of [false, true]) {
    if (stream) {
      const { data, response } = await demo.chat.completions
        .create({ model: MISTRAL, messages, stream: true, stream_options: { include_usage: true } })
        .withResponse();
      requestIds.push(response.headers.get('x-request-id')!);
      for await (const chunk of data) {
        if (chunk.usage) {
          mistralTokens.input += chunk.usage.prompt_tokens;
          mistralTokens.output += chunk.usage.completion_tokens;
        }
      }
    } else {
      const { data, response } = await demo.chat.completions.create({ model: MISTRAL, messages }).withResponse();
      requestIds.push(response.headers.get('x-request-id')!);
      mistralTokens.input += data.usage!.prompt_tokens;
      mistralTokens.output += data.usage!.completion_tokens;
    }
  }
  chatTokens.input += mistralTokens.input;
  chatTokens.output += mistralTokens.output;
  // The other team's caller on its own account.
  {
    const { data, response } = await solo.chat.completions.create({ model: SOLO_MODEL, messages }).withResponse();
    requestIds.push(response.headers.get('x-request-id')!);
    soloTokens = { input: data.usage!.prompt_tokens, output: data.usage!.completion_tokens };
  }
  // A partly priced model: served, but counted as unpriced (no output price).
  {
    const { response } = await demo.chat.completions.create({ model: HALF_PRICED, messages }).withResponse();
    requestIds.push(response.headers.get('x-request-id')!);
  }
  // A throttle that the gateway's retry absorbs.
  await fault({ type: 'throttle', model: 'amazon.nova-lite-v1:0', count: 1 });
  {
    const { response } = await demo.chat.completions.create({ model: NOVA_LITE, messages }).withResponse();
    requestIds.push(response.headers.get('x-request-id')!);
  }
  // Embeddings, image generation and an image edit.
  {
    const { response } = await demo.embeddings
      .create({ model: 'demo/amazon-titan-embed-text-v2-0', input: [PROMPT, 'second text'] })
      .withResponse();
    requestIds.push(response.headers.get('x-request-id')!);
  }
  {
    const { response } = await demo.images
      .generate({ model: 'demo/amazon-nova-canvas-v1-0', prompt: PROMPT, n: 1, size: '1024x1024' })
      .withResponse();
    requestIds.push(response.headers.get('x-request-id')!);
  }
  {
    // An edit with an OpenAI mask: the mask conversion runs in the image worker pool.
    const { response } = await demo.images
      .edit({
        model: 'demo/amazon-nova-canvas-v1-0',
        image: await toFile(png(64, 32, [20, 40, 200, 255], [20, 40, 200, 255]), 'source.png', { type: 'image/png' }),
        mask: await toFile(png(64, 32, [0, 0, 0, 0], [0, 0, 0, 255]), 'mask.png', { type: 'image/png' }),
        prompt: PROMPT,
      })
      .withResponse();
    requestIds.push(response.headers.get('x-request-id')!);
  }
  // A refused caller (no model known yet).
  const refused = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-not-a-key', 'content-type': 'application/json' },
    body: JSON.stringify({ model: MISTRAL, messages }),
  });
  expect(refused.status).toBe(401);
  requestIds.push(refused.headers.get('x-request-id')!);

  metricsText = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
  samples = parseMetrics(metricsText);
  // Records are written when each response closes; wait until all are out.
  const deadline = Date.now() + 5000;
  for (;;) {
    records = gateway
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.record === 'usage');
    if (records.length >= requestIds.length || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
}, 60_000);

afterAll(async () => {
  gateway?.kill('SIGKILL');
  await gateway?.exited;
  await emulator?.close();
  await config?.remove();
});

describe('the GenAI metrics', () => {
  it('sum the tokens the emulator reported, by gen_ai.token.type', () => {
    const where = { gen_ai_operation_name: 'chat', gen_ai_request_model: 'mistral.mistral-large-2407-v1:0' };
    const input = sum(samples, 'gen_ai_client_token_usage_sum', { ...where, gen_ai_token_type: 'input' });
    const output = sum(samples, 'gen_ai_client_token_usage_sum', { ...where, gen_ai_token_type: 'output' });
    // The solo account calls the same Bedrock model id: both share the series.
    expect(input).toBe(chatTokens.input + soloTokens.input);
    expect(output).toBe(chatTokens.output + soloTokens.output);
    expect(sum(samples, 'gen_ai_client_token_usage_count', { ...where, gen_ai_token_type: 'input' })).toBe(3);
  });

  it('carry the convention attributes on every surface', () => {
    const durations = samples.filter((s) => s.name === 'gen_ai_client_operation_duration_seconds_count');
    const operations = new Set(durations.map((s) => s.labels.gen_ai_operation_name));
    expect([...operations].sort()).toEqual(['chat', 'embeddings', 'generate_content']);
    for (const s of durations) {
      expect(s.labels.gen_ai_provider_name).toBe('aws.bedrock');
      expect(s.labels.server_address).toBe('127.0.0.1');
      expect(s.labels.gen_ai_response_model).toBe(s.labels.gen_ai_request_model);
    }
    expect(sum(samples, 'gen_ai_client_token_usage_sum', { gen_ai_operation_name: 'embeddings' })).toBeGreaterThan(0);
    // Image generation and the edit.
    expect(
      sum(samples, 'gen_ai_client_operation_duration_seconds_count', { gen_ai_operation_name: 'generate_content' }),
    ).toBe(2);
    expect(sum(samples, 'aigw_image_jobs_total', { outcome: 'done' })).toBe(1);
    // Time to first token and per output token come from the stream.
    expect(sum(samples, 'gen_ai_server_time_to_first_token_seconds_count', { gen_ai_operation_name: 'chat' })).toBe(1);
    expect(sum(samples, 'gen_ai_server_time_per_output_token_seconds_count', { gen_ai_operation_name: 'chat' })).toBe(
      1,
    );
  });
});

describe('spend, unpriced requests and upstream health', () => {
  it('counts cost by team: a configured team by name, an unnamed one as other', () => {
    const expected = (t: { input: number; output: number }) => (t.input * 2 + t.output * 6) / 1e6;
    const demo = sum(samples, 'aigw_team_cost_usd_total', {
      account: 'demo',
      model: 'mistral-mistral-large-2407-v1-0',
      team: 'demo',
    });
    expect(demo).toBeCloseTo(expected(mistralTokens), 12);
    expect(sum(samples, 'aigw_team_cost_usd_total', { account: 'solo', team: 'other' })).toBeCloseTo(
      expected(soloTokens),
      12,
    );
    expect(samples.some((s) => s.name === 'aigw_team_cost_usd_total' && s.labels.team === 'ghost')).toBe(false);
  });

  it('counts a partly priced model as unpriced, by the missing price', () => {
    expect(
      sum(samples, 'aigw_unpriced_requests_total', { account: 'demo', model: 'half-priced-nova', reason: 'output' }),
    ).toBe(1);
  });

  it('tells Bedrock throttling apart from latency, per account and region', () => {
    expect(
      sum(samples, 'aigw_upstream_errors_total', {
        account: 'demo',
        region: 'us-east-1',
        exception: 'ThrottlingException',
      }),
    ).toBe(1);
    expect(sum(samples, 'aigw_upstream_attempts_total', { account: 'demo', outcome: 'retried' })).toBe(1);
    expect(sum(samples, 'aigw_upstream_duration_seconds_count', { account: 'solo', region: 'us-west-2' })).toBe(1);
  });

  it('exposes the Node.js runtime metrics unprefixed', () => {
    expect(samples.some((s) => s.name === 'process_cpu_seconds_total')).toBe(true);
    expect(samples.some((s) => s.name === 'nodejs_heap_size_used_bytes')).toBe(true);
    expect(metricsText).not.toMatch(/^aigw_(process|nodejs)_/m);
  });

  it('passes promtool check metrics', (ctx) => {
    if (!hasPromtool()) {
      if (process.env.CI === 'true') throw new Error('promtool is required in CI (Debian package prometheus)');
      console.warn('skipped: promtool not installed (apt-get install prometheus)');
      ctx.skip();
    }
    let out = '';
    try {
      out = execFileSync('promtool', ['check', 'metrics'], { input: metricsText, encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`promtool check metrics failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
    expect(out.trim()).toBe('');
  });
});

describe('usage records', () => {
  it('writes exactly one record per request, at the default level', () => {
    const ids = records.map((r) => r.requestId);
    expect(ids.sort()).toEqual([...requestIds].sort());
  });

  it('carries who, which model, tokens, cost, latency and attempts', () => {
    const byId = new Map(records.map((r) => [r.requestId as string, r]));
    const first = byId.get(requestIds[0]!)!;
    expect(first).toMatchObject({
      surface: 'chat',
      subject: 'user:demo@example.com',
      teams: ['demo'],
      team: 'demo',
      account: 'demo',
      model: 'mistral-mistral-large-2407-v1-0',
      modelId: 'mistral.mistral-large-2407-v1:0',
      stream: false,
      status: 200,
      errorType: null,
      attempts: 1,
    });
    expect(typeof first.time).toBe('number');
    expect(first.latencyMs).toBeGreaterThan(0);
    expect(first.upstreamMs).toBeGreaterThan(0);
    const streamed = byId.get(requestIds[1]!)!;
    expect(streamed.stream).toBe(true);
    const tokens = [first, streamed].map((r) => r.tokens as Record<string, number>);
    expect(tokens.reduce((t, k) => t + k.input! + k.cacheRead! + k.cacheWrite!, 0)).toBe(mistralTokens.input);
    expect(tokens.reduce((t, k) => t + k.output!, 0)).toBe(mistralTokens.output);
    const costs = [first, streamed].map((r) => r.costUsd as number);
    expect(costs[0]! + costs[1]!).toBeCloseTo((mistralTokens.input * 2 + mistralTokens.output * 6) / 1e6, 12);
    expect(byId.get(requestIds[2]!)).toMatchObject({ team: 'other', teams: ['ghost'], account: 'solo' });
    expect(byId.get(requestIds[3]!)).toMatchObject({ costUsd: null, model: 'half-priced-nova' });
    expect(byId.get(requestIds[4]!)).toMatchObject({ attempts: 2, status: 200 });
    expect(byId.get(requestIds[5]!)).toMatchObject({ surface: 'embeddings', attempts: 2 });
    expect(byId.get(requestIds[6]!)).toMatchObject({ surface: 'images', images: 1 });
    expect(byId.get(requestIds[7]!)).toMatchObject({ surface: 'images', images: 1, status: 200, attempts: 1 });
    expect(byId.get(requestIds[8]!)).toMatchObject({
      surface: 'chat',
      status: 401,
      errorType: 'invalid_api_key',
      subject: null,
      account: null,
    });
  });

  it('never contain prompt text or a credential', () => {
    const text = records.map((r) => JSON.stringify(r)).join('\n');
    expect(text).not.toContain('secret-garden-7431');
    for (const secret of [DEMO_KEY, SOLO_KEY, 'sk-not-a-key', 'wJalrXUtnFEMI', 'AKIAIOSFODNN7EXAMPLE'])
      expect(text).not.toContain(secret);
  });
});
