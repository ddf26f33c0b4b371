/**
 * The gateway keeps no batch state of its own: a replica that crashed mid-batch loses nothing, any other
 * replica serves the batch, and a finished batch's cost enters the metrics exactly once across replicas.
 * Real `aigw serve` processes against one emulator (its S3 and batch control plane).
 */
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator/src/index.js';
import { type ConfigDir, DEMO_KEY, makeConfigDir, NOVA_LITE } from '../helpers/config-dir.js';
import { type ChildGateway, spawnGateway } from '../helpers/stack.js';

const FINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);
let emulator: RunningEmulator;
let config: ConfigDir;
const children: ChildGateway[] = [];

function client(url: string): OpenAI {
  return new OpenAI({
    baseURL: `${url}/v1`,
    apiKey: DEMO_KEY,
    maxRetries: 0,
    timeout: 30_000,
    defaultHeaders: { 'x-aigateway-account': 'demo' },
  });
}

async function start(env: Record<string, string> = {}): Promise<ChildGateway> {
  const child = await spawnGateway(['--config', config.dir], env);
  children.push(child);
  return child;
}

/** The value of a counter series in a Prometheus text exposition (0 when absent). */
async function metric(adminUrl: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.split(' ').pop());
  }
  return total;
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, batch: { stepMs: 20 } });
  config = await makeConfigDir({ emulatorUrl: emulator.url });
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  await emulator?.close();
  await config?.remove();
});

describe('batches across gateway replicas', () => {
  it('a replica killed mid-batch loses nothing; two others serve the batch and count its cost once', async () => {
    await fetch(`${emulator.url}/_emulator/batch/faults`, {
      method: 'POST',
      body: JSON.stringify({ type: 'hold', afterRecords: 10 }),
    });
    const first = await start();
    const lines = Array.from({ length: 100 }, (_, i) =>
      JSON.stringify({
        custom_id: `r${i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: NOVA_LITE, messages: [{ role: 'user', content: `Line ${i}` }], max_tokens: 16 },
      }),
    ).join('\n');
    const file = await client(first.url).files.create({
      file: await toFile(Buffer.from(lines), 'requests.jsonl'),
      purpose: 'batch',
    });
    const created = await client(first.url).batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    let b = await client(first.url).batches.retrieve(created.id);
    while (b.status !== 'in_progress') b = await client(first.url).batches.retrieve(created.id);
    first.kill('SIGKILL');
    await first.exited;

    const [second, third] = await Promise.all([start(), start()]);
    await fetch(`${emulator.url}/_emulator/batch/faults`, { method: 'DELETE' });
    let done = await client(second.url).batches.retrieve(created.id);
    while (!FINAL.has(done.status)) {
      await new Promise((r) => setTimeout(r, 50));
      done = await client(second.url).batches.retrieve(created.id);
    }
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 100, completed: 100, failed: 0 });
    // Both replicas, several times each: the same Batch and the same output bytes.
    const views = await Promise.all([
      client(third.url).batches.retrieve(created.id),
      client(second.url).batches.retrieve(created.id),
      client(third.url).batches.retrieve(created.id),
    ]);
    for (const v of views) expect(v).toEqual(done);
    const [a, c] = await Promise.all([
      client(second.url)
        .files.content(done.output_file_id!)
        .then((r) => r.text()),
      client(third.url)
        .files.content(done.output_file_id!)
        .then((r) => r.text()),
    ]);
    expect(a).toBe(c);
    expect(
      a
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).custom_id),
    ).toEqual(Array.from({ length: 100 }, (_, i) => `r${i}`));

    // Cost and tokens: counted by exactly one replica, at the batch price (half of Nova Lite's on-demand).
    const labels = { account: 'demo', model: 'amazon-nova-lite-v1-0' };
    const cost = await Promise.all([second, third].map((g) => metric(g.adminUrl, 'aigw_cost_usd_total', labels)));
    const input = await Promise.all(
      [second, third].map((g) => metric(g.adminUrl, 'aigw_tokens_total', { ...labels, kind: 'input' })),
    );
    const usage = done.usage!;
    const expected = (usage.input_tokens * 0.03 + usage.output_tokens * 0.12) / 1e6;
    expect(cost.filter((v) => v > 0)).toHaveLength(1);
    expect(cost[0]! + cost[1]!).toBeCloseTo(expected, 12);
    expect(input[0]! + input[1]!).toBe(usage.input_tokens);
  }, 120_000);

  it('the record minimum comes from AIGW_BATCH_MIN_RECORDS', async () => {
    const gateway = await start({ AIGW_BATCH_MIN_RECORDS: '150' });
    const lines = Array.from({ length: 120 }, (_, i) =>
      JSON.stringify({
        custom_id: `m${i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: NOVA_LITE, messages: [{ role: 'user', content: 'x' }] },
      }),
    ).join('\n');
    const file = await client(gateway.url).files.create({
      file: await toFile(Buffer.from(lines), 'small.jsonl'),
      purpose: 'batch',
    });
    const err = await client(gateway.url)
      .batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('at least 150');
  }, 60_000);
});
