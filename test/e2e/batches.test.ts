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
  const f = await client(key).files.create({
    file: await toFile(Buffer.from(text), 'requests.jsonl'),
    purpose: 'batch',
  });
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

/** One line of an output or error file, as far as these tests read it. */
interface OutputLine {
  id: string;
  custom_id: string;
  response: {
    status_code: number;
    body: {
      object?: string;
      model?: string;
      choices: { message: { content: unknown } }[];
      data: { embedding: unknown[] }[];
      error: { message: string };
    };
  };
  error: { code: string } | null;
}

async function content(fileId: string): Promise<OutputLine[]> {
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

async function jobCount(): Promise<number> {
  const res = await fetch(`${stack.emulator.url}/_emulator/batch/jobs`);
  return ((await res.json()) as { jobs: unknown[] }).jobs.length;
}

async function emulatorFaults(body: object | undefined): Promise<void> {
  const res = await fetch(`${stack.emulator.url}/_emulator/batch/faults`, {
    method: body ? 'POST' : 'DELETE',
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  expect(res.ok).toBe(true);
}

beforeAll(async () => {
  stack = await startStack({
    emulator: { batch: { stepMs: 20 } },
    extraFiles: { 'batch-user.yaml': USER_KEY_MANIFEST },
  });
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
      expect(typeof line.response.body.choices[0]!.message.content).toBe('string');
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

async function createError(
  body: Record<string, unknown>,
  key = DEMO_KEY,
): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await client(key)
    .batches.create({ completion_window: '24h', endpoint: '/v1/chat/completions', ...body } as never)
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}

describe('a batch refused before any job exists', () => {
  it('a file naming two models is a 400 naming the first other model, and leaves nothing in S3', async () => {
    const before = await batchObjects();
    const jobsBefore = await jobCount();
    const fileId = await upload(
      chatLines(120, (i) => (i === 57 ? { model: 'demo/amazon-nova-micro-v1-0' } : { model: NOVA_LITE })),
    );
    const err = await createError({ input_file_id: fileId });
    expect(err.status).toBe(400);
    expect(err.message).toContain("Line 58 of the input file names the model 'demo/amazon-nova-micro-v1-0'");
    expect(err.message).toContain(NOVA_LITE);
    expect(await batchObjects()).toEqual(before);
    expect(await jobCount()).toBe(jobsBefore);
  });

  it('a line the translator refuses fails the create with its line number', async () => {
    const before = await batchObjects();
    const fileId = await upload(chatLines(150, (i) => (i === 130 ? { n: 3 } : {})));
    const err = await createError({ input_file_id: fileId, model: NOVA_LITE });
    expect(err.status).toBe(400);
    expect(err.message).toContain('Line 131 of the input file');
    expect((err.error as { param?: string }).param).toBe('body.n');
    expect(await batchObjects()).toEqual(before);
  });

  it('fewer lines than the Bedrock minimum is a clear 400', async () => {
    const fileId = await upload(chatLines(99));
    const err = await createError({ input_file_id: fileId, model: NOVA_LITE });
    expect(err.status).toBe(400);
    expect(err.message).toContain('99 requests');
    expect(err.message).toContain('at least 100');
  });

  it('a batch without any model names which member to send', async () => {
    const fileId = await upload(chatLines(100));
    const err = await createError({ input_file_id: fileId });
    expect(err.status).toBe(400);
    expect((err.error as { param?: string }).param).toBe('model');
  });

  it('endpoints and completion windows Bedrock cannot serve are refused', async () => {
    const fileId = await upload(chatLines(100));
    expect((await createError({ input_file_id: fileId, endpoint: '/v1/responses' })).status).toBe(400);
    expect((await createError({ input_file_id: fileId, completion_window: '48h' })).status).toBe(400);
    expect((await createError({ input_file_id: fileId, model: NOVA_LITE, job_name: 'bad name!' })).status).toBe(400);
  });

  it("a header naming another account than the input file's is a 400", async () => {
    const fileId = await upload(chatLines(100));
    const err = await client(DEMO_KEY, 'demo-role')
      .batches.create({
        input_file_id: fileId,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        // @ts-expect-error the gateway's extra member
        model: NOVA_LITE,
      })
      .catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain("storage of the account 'demo'");
  });

  it('an unknown input file is 404', async () => {
    expect((await createError({ input_file_id: 'file-doesnotexist', model: NOVA_LITE })).status).toBe(404);
  });

  it('an account with a Bedrock API key cannot hold batches', async () => {
    const err = await client(DEMO_KEY, 'demo-apikey')
      .batches.list()
      .catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((err as Error).message).toContain('AWS credentials');
  });
});

describe('hostile and malformed requests', () => {
  const raw = (path: string, init: RequestInit = {}) =>
    fetch(`${stack.gateway.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${DEMO_KEY}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
    });

  it('answers bad bodies, bad list parameters and wrong methods in OpenAI error shape, never 5xx', async () => {
    const cases: [string, RequestInit, number][] = [
      ['/v1/batches', { method: 'POST', body: '[1,2]' }, 400],
      ['/v1/batches', { method: 'POST', body: '{"input_file_id": 5}' }, 400],
      [
        '/v1/batches',
        {
          method: 'POST',
          body: '{"input_file_id":"x","endpoint":"/v1/embeddings","completion_window":"24h","metadata":{"k":5}}',
        },
        400,
      ],
      [
        '/v1/batches',
        {
          method: 'POST',
          body: '{"input_file_id":"x","endpoint":"/v1/embeddings","completion_window":"24h","role_arn":"nope"}',
        },
        400,
      ],
      [
        '/v1/batches',
        {
          method: 'POST',
          body: '{"input_file_id":"x","endpoint":"/v1/embeddings","completion_window":"24h","output_expires_after":{"anchor":"created_at","seconds":3600}}',
        },
        400,
      ],
      ['/v1/batches?limit=0', {}, 400],
      ['/v1/batches?limit=101', {}, 400],
      ['/v1/batches?limit=abc', {}, 400],
      [`/v1/batches?after=${'x'.repeat(5000)}`, {}, 200],
      [`/v1/batches/${'%ZZ'.repeat(10)}`, {}, 400],
      [`/v1/batches/batch_${'A'.repeat(3000)}`, {}, 404],
      ['/v1/batches/batch_x/frobnicate', { method: 'POST', body: '{}' }, 404],
      ['/v1/batches', { method: 'DELETE' }, 405],
      ['/v1/batches/batch_x', { method: 'PUT', body: '{}' }, 405],
    ];
    for (const [path, init, status] of cases) {
      const res = await raw(path, init);
      expect(res.status, `${init.method ?? 'GET'} ${path.slice(0, 60)}`).toBe(status);
      const body = (await res.json()) as { error?: { message: string; type: string; code: string } };
      if (status !== 200) expect(body.error?.type, path.slice(0, 60)).toBeTypeOf('string');
    }
  });

  it('a batch output file cannot be deleted on its own', async () => {
    const page = await client().batches.list({ limit: 100 });
    const withOutput = page.data.find((b) => b.output_file_id);
    expect(withOutput).toBeDefined();
    const err = await client()
      .files.delete(withOutput!.output_file_id!)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
  });
});

describe('ids', () => {
  it('an unknown or malformed batch id is 404 in OpenAI error shape', async () => {
    for (const id of [
      'batch_nope',
      `batch_${Buffer.from('["demo","us-east-1","aaaaaaaaaaaa"]').toString('base64url')}`,
    ]) {
      const err = await client()
        .batches.retrieve(id)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    }
    const err = await client()
      .batches.cancel('batch_nope')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('job ARNs and idempotency', () => {
  it('the job ARN works as an id, raw or URL-encoded (with the account header)', async () => {
    const b = await client().batches.create({
      input_file_id: await upload(chatLines(100)),
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      // @ts-expect-error the gateway's extra member
      model: NOVA_LITE,
    });
    const jobs = (await (await fetch(`${stack.emulator.url}/_emulator/batch/jobs`)).json()) as {
      jobs: { jobArn: string; inputDataConfig: { s3InputDataConfig: { s3Uri: string } } }[];
    };
    const [, , jobId] = JSON.parse(Buffer.from(b.id.slice('batch_'.length), 'base64url').toString()) as string[];
    const arn = jobs.jobs.find((j) => j.jobArn.endsWith(`/${jobId}`))!.jobArn;
    const headers = { authorization: `Bearer ${DEMO_KEY}`, 'x-aigateway-account': 'demo' };
    for (const form of [arn, encodeURIComponent(arn)]) {
      const res = await fetch(`${stack.gateway.url}/v1/batches/${form}`, { headers });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { id: string }).id).toBe(b.id);
    }
    expect((await client().batches.retrieve(arn)).id).toBe(b.id);
    await waitFinal(b.id);
  });

  it('a retried create with the same idempotency key returns the same batch', async () => {
    const fileId = await upload(chatLines(100));
    const body = {
      input_file_id: fileId,
      endpoint: '/v1/chat/completions' as const,
      completion_window: '24h' as const,
      model: NOVA_LITE,
    };
    const first = await client().batches.create(body, { headers: { 'Idempotency-Key': 'nightly-2026-12-03' } });
    const second = await client().batches.create(body, { headers: { 'Idempotency-Key': 'nightly-2026-12-03' } });
    expect(second.id).toBe(first.id);
    expect(second.created_at).toBe(first.created_at);
    const third = await client().batches.create(body, { headers: { 'Idempotency-Key': 'nightly-2026-12-04' } });
    expect(third.id).not.toBe(first.id);
    await Promise.all([waitFinal(first.id), waitFinal(third.id)]);
  });
});

describe('jobs that do not simply complete', () => {
  it('embeddings with some records Bedrock refuses: completed, with an error file in input order', async () => {
    // Under Titan's 50,000-character limit but over its 8,192 tokens: accepted by the gateway, refused per record.
    const long = 'abcd '.repeat(9000);
    const text = Array.from({ length: 100 }, (_, i) =>
      JSON.stringify({
        custom_id: `e-${i}`,
        method: 'POST',
        url: '/v1/embeddings',
        body: { model: TITAN_V2, input: i % 40 === 5 ? long : `text ${i}`, dimensions: 256 },
      }),
    ).join('\n');
    const b = await client().batches.create({
      input_file_id: await upload(text),
      endpoint: '/v1/embeddings',
      completion_window: '24h',
    });
    const done = await waitFinal(b.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 100, completed: 97, failed: 3 });
    const output = await content(done.output_file_id!);
    expect(output).toHaveLength(97);
    expect(output[0]!.response.body.data[0]!.embedding).toHaveLength(256);
    const errors = await content(done.error_file_id!);
    expect(errors.map((l) => l.custom_id)).toEqual(['e-5', 'e-45', 'e-85']);
    expect(errors[0]!.response.status_code).toBe(400);
    expect(errors[0]!.response.body.error.message).toContain('Too many input tokens');
  });

  it('a job Bedrock fails: failed, with the reason in errors', async () => {
    await emulatorFaults({ type: 'fail', stage: 'Validating', message: 'The role cannot read the input bucket.' });
    const b = await client().batches.create({
      input_file_id: await upload(chatLines(100)),
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      // @ts-expect-error the gateway's extra member
      model: NOVA_LITE,
    });
    const done = await waitFinal(b.id);
    expect(done.status).toBe('failed');
    expect(done.errors?.data?.[0]).toMatchObject({
      code: 'batch_failed',
      message: 'The role cannot read the input bucket.',
    });
    expect(done.failed_at).toBeTypeOf('number');
    expect(done.output_file_id).toBeNull();
  });

  it('an expired job: partial output, the rest in the error file as batch_expired', async () => {
    await emulatorFaults({ type: 'expire', afterRecords: 60 });
    const b = await client().batches.create({
      input_file_id: await upload(chatLines(100)),
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      // @ts-expect-error the gateway's extra member
      model: NOVA_LITE,
    });
    const done = await waitFinal(b.id);
    expect(done.status).toBe('expired');
    expect(done.request_counts).toEqual({ total: 100, completed: 60, failed: 40 });
    expect(await content(done.output_file_id!)).toHaveLength(60);
    const errors = await content(done.error_file_id!);
    expect(errors).toHaveLength(40);
    expect(errors[0]).toMatchObject({ custom_id: 'req-60', response: null, error: { code: 'batch_expired' } });
  });

  it('cancel: cancelling, then cancelled with what ran in the output file', async () => {
    await emulatorFaults({ type: 'hold', afterRecords: 30 });
    const b = await client().batches.create({
      input_file_id: await upload(chatLines(100)),
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      // @ts-expect-error the gateway's extra member
      model: NOVA_LITE,
    });
    let current = await client().batches.retrieve(b.id);
    // Held after 30 records: cancel once they have run.
    while (current.status !== 'in_progress' || (current.request_counts?.completed ?? 0) < 30)
      current = await client().batches.retrieve(b.id);
    const cancelling = await client().batches.cancel(b.id);
    expect(['cancelling', 'cancelled']).toContain(cancelling.status);
    const done = await waitFinal(b.id);
    expect(done.status).toBe('cancelled');
    expect(done.cancelled_at).toBeTypeOf('number');
    expect(done.request_counts?.completed).toBe(30);
    const errors = await content(done.error_file_id!);
    expect(errors).toHaveLength(70);
    expect(errors.every((l) => l.error?.code === 'batch_cancelled')).toBe(true);
    // A finished batch cannot be cancelled again.
    const again = await client()
      .batches.cancel(b.id)
      .catch((e: unknown) => e);
    expect((again as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
  });
});

describe('ownership', () => {
  it('a User collaborator sees only its own batches; a Manager sees all', async () => {
    const mine = await client(USER_KEY).batches.create({
      input_file_id: await upload(chatLines(100), USER_KEY),
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      // @ts-expect-error the gateway's extra member
      model: NOVA_LITE,
    });
    const managers = await client().batches.create({
      input_file_id: await upload(chatLines(100)),
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      // @ts-expect-error the gateway's extra member
      model: NOVA_LITE,
    });
    const seen = (await client(USER_KEY).batches.list({ limit: 100 })).data.map((b) => b.id);
    expect(seen).toContain(mine.id);
    expect(seen).not.toContain(managers.id);
    expect(
      await client(USER_KEY)
        .batches.retrieve(managers.id)
        .catch((e: unknown) => e),
    ).toBeInstanceOf(OpenAI.NotFoundError);
    expect((await client().batches.retrieve(mine.id)).id).toBe(mine.id);
    const all = (await client().batches.list({ limit: 100 })).data.map((b) => b.id);
    expect(all).toEqual(expect.arrayContaining([mine.id, managers.id]));
    await waitFinal(mine.id, USER_KEY);
    const done = await waitFinal(managers.id);
    // The Manager's output file is not the User's to read either.
    const peek = await client(USER_KEY)
      .files.content(done.output_file_id!)
      .catch((e: unknown) => e);
    expect(peek).toBeInstanceOf(OpenAI.NotFoundError);
    expect(
      await client(USER_KEY)
        .batches.cancel(managers.id)
        .catch((e: unknown) => e),
    ).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('pages with after and limit, newest first', async () => {
    const all = (await client().batches.list({ limit: 100 })).data.map((b) => b.id);
    expect(all.length).toBeGreaterThanOrEqual(3);
    const first = await client().batches.list({ limit: 2 });
    expect(first.data.map((b) => b.id)).toEqual(all.slice(0, 2));
    expect(first.has_more).toBe(true);
    const second = await client().batches.list({ limit: 2, after: first.data[1]!.id });
    expect(second.data.map((b) => b.id)).toEqual(all.slice(2, 4));
  });
});
