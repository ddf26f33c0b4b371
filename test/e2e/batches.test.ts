/**
 * The Batch API through the official openai SDK, end to end: files uploaded to the emulator's S3, Bedrock
 * batch jobs run by the emulator, output and error files read back in OpenAI's batch output format.
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import OpenAI, { toFile } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_KEY, NOVA_LITE } from '../helpers/config-dir.js';
import { type Stack, startStack } from '../helpers/stack.js';

const TITAN_V2 = 'demo/amazon-titan-embed-text-v2-0';
const USER_KEY = 'sk-aigw-batch-user-2222222222222222';
const USER_KEY_MANIFEST = `apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: batch-user-key, namespace: default }
stringData: { token: ${USER_KEY}, subject: "user:bob@example.com", teams: "demo" }
`;
const FINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

let stack: Stack;

function client(key = DEMO_KEY, account = 'demo'): OpenAI {
  return new OpenAI({
    baseURL: `${stack.gateway.url}/v1`,
    apiKey: key,
    maxRetries: 0,
    timeout: 30_000,
    defaultHeaders: { 'x-aigateway-account': account },
  });
}

function chatLines(count: number, line: (i: number) => object = () => ({})): string {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      custom_id: `req-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { messages: [{ role: 'user', content: `Question number ${i}` }], max_tokens: 32, ...line(i) },
    }),
  ).join('\n');
}

async function upload(text: string, key = DEMO_KEY): Promise<string> {
  const f = await client(key).files.create({ file: await toFile(Buffer.from(text), 'requests.jsonl'), purpose: 'batch' });
  return f.id;
}

async function waitFinal(id: string, key = DEMO_KEY): Promise<OpenAI.Batch> {
  const deadline = Date.now() + 30_000;
  let b = await client(key).batches.retrieve(id);
  while (!FINAL.has(b.status)) {
    if (Date.now() > deadline) throw new Error(`batch ${id} still ${b.status}`);
    await new Promise((r) => setTimeout(r, 50));
    b = await client(key).batches.retrieve(id);
  }
  return b;
}

async function content(fileId: string): Promise<Record<string, any>[]> {
  const text = await (await client().files.content(fileId)).text();
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

async function batchObjects(): Promise<string[]> {
  const s3 = new S3Client({
    endpoint: stack.emulator.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  });
  const out = await s3.send(new ListObjectsV2Command({ Bucket: 'aigw-demo', Prefix: 'aigateway/batches/' }));
  s3.destroy();
  return (out.Contents ?? []).map((o) => o.Key!);
}

async function emulatorFaults(body: object | undefined): Promise<void> {
  const res = await fetch(`${stack.emulator.url}/_emulator/batch/faults`, {
    method: body ? 'POST' : 'DELETE',
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  expect(res.ok).toBe(true);
}

beforeAll(async () => {
  stack = await startStack({ emulator: { batch: { stepMs: 20 } }, extraFiles: { 'batch-user.yaml': USER_KEY_MANIFEST } });
});
afterAll(async () => {
  await stack?.close();
});
afterEach(async () => {
  await emulatorFaults(undefined);
});

describe('the issue example, through the openai SDK', () => {
  it('uploads 100 chat lines, runs the batch and reads OpenAI batch output lines in input order', async () => {
    const fileId = await upload(chatLines(100));
    const created = await client().batches.create({
      input_file_id: fileId,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { team: 'ml' },
      // @ts-expect-error the gateway's extra member (extra_body in Python)
      model: NOVA_LITE,
    });
    // A complete Batch, not a sparse one.
    expect(created).toMatchObject({
      object: 'batch',
      endpoint: '/v1/chat/completions',
      input_file_id: fileId,
      completion_window: '24h',
      status: 'validating',
      model: NOVA_LITE,
      metadata: { team: 'ml' },
      request_counts: { total: 100, completed: 0, failed: 0 },
      output_file_id: null,
      error_file_id: null,
    });
    expect(created.id).toMatch(/^batch_[A-Za-z0-9_-]+$/);
    expect(typeof created.created_at).toBe('number');
    expect(typeof created.expires_at).toBe('number');

    const done = await waitFinal(created.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 100, completed: 100, failed: 0 });
    expect(done.error_file_id).toBeNull();
    expect(done.usage!.input_tokens).toBeGreaterThan(0);
    expect(done.usage!.output_tokens).toBeGreaterThan(0);
    expect(done.completed_at).toBeGreaterThanOrEqual(done.created_at);

    const lines = await content(done.output_file_id!);
    expect(lines.map((l) => l.custom_id)).toEqual(Array.from({ length: 100 }, (_, i) => `req-${i}`));
    for (const line of lines) {
      expect(line.error).toBeNull();
      expect(line.id).toMatch(/^batch_req_/);
      expect(line.response.status_code).toBe(200);
      expect(line.response.body.object).toBe('chat.completion');
      expect(line.response.body.model).toBe(NOVA_LITE);
      expect(typeof line.response.body.choices[0].message.content).toBe('string');
    }
    // The output file is a real file: retrieve reports its size.
    const file = await client().files.retrieve(done.output_file_id!);
    const text = await (await client().files.content(done.output_file_id!)).text();
    expect(file).toMatchObject({ id: done.output_file_id, object: 'file', purpose: 'batch_output' });
    expect(file.bytes).toBe(Buffer.byteLength(text));

    // The seed's extra: Bedrock's own records as one JSON array.
    const raw = await fetch(`${stack.gateway.url}/v1/batches/${done.id}/output`, {
      headers: { authorization: `Bearer ${DEMO_KEY}` },
    });
    expect(raw.status).toBe(200);
    const records = (await raw.json()) as { recordId: string; modelOutput?: unknown }[];
    expect(records).toHaveLength(100);
    expect(records.every((r) => r.modelOutput !== undefined)).toBe(true);

    // List has it.
    const page = await client().batches.list({ limit: 100 });
    expect(page.data.map((b) => b.id)).toContain(done.id);
  });
});
