import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  type CreateModelInvocationJobCommandInput,
  GetModelInvocationJobCommand,
  type GetModelInvocationJobCommandOutput,
  ListModelInvocationJobsCommand,
  StopModelInvocationJobCommand,
} from '@aws-sdk/client-bedrock';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../src/index.js';

const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const ROLE = 'arn:aws:iam::111122223333:role/BedrockBatch';
const TERMINAL = ['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired'];

let emu: RunningEmulator;
let bedrock: BedrockClient;
let s3: S3Client;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, s3: { buckets: ['batch'] }, batch: { stepMs: 5, minRecords: 3 } });
  bedrock = new BedrockClient({ endpoint: emu.url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  s3 = new S3Client({
    endpoint: emu.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  bedrock.destroy();
  s3.destroy();
  await emu.close();
});

beforeEach(async () => {
  await fetch(`${emu.url}/_emulator/batch/faults`, { method: 'DELETE' });
});

function converseRecord(id: string, text: string): string {
  return JSON.stringify({ recordId: id, modelInput: { messages: [{ role: 'user', content: [{ text }] }] } });
}

async function putInput(key: string, lines: string[]): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: 'batch', Key: key, Body: `${lines.join('\n')}\n` }));
}

async function readText(key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: 'batch', Key: key }));
  return (await out.Body?.transformToString()) ?? '';
}

function jobInput(name: string, input: string, overrides: Partial<CreateModelInvocationJobCommandInput> = {}) {
  return {
    jobName: name,
    roleArn: ROLE,
    modelId: 'amazon.nova-lite-v1:0',
    modelInvocationType: 'Converse' as const,
    inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://batch/${input}` } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://batch/out/' } },
    ...overrides,
  };
}

async function waitFor(
  jobArn: string,
  done: (job: GetModelInvocationJobCommandOutput) => boolean = (j) => TERMINAL.includes(j.status ?? ''),
): Promise<GetModelInvocationJobCommandOutput> {
  for (let i = 0; i < 2000; i++) {
    const job = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
    if (done(job)) return job;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`job ${jobArn} never reached the expected state`);
}

function jobIdOf(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

describe('batch inference jobs through @aws-sdk/client-bedrock', () => {
  it('runs a Converse job to Completed and writes <file>.out and manifest.json.out as Bedrock does', async () => {
    const lines = ['one', 'two', 'three', 'four'].map((t, i) => converseRecord(`REC${i}`, `say ${t}`));
    await putInput('in/ok/requests.jsonl', lines);
    const { jobArn } = await bedrock.send(
      new CreateModelInvocationJobCommand(jobInput('ok-job', 'in/ok/requests.jsonl')),
    );
    expect(jobArn).toMatch(/^arn:aws:bedrock:us-east-1:111122223333:model-invocation-job\/[a-z0-9]{12}$/);
    const job = await waitFor(jobArn ?? '');
    expect(job).toMatchObject({
      status: 'Completed',
      jobName: 'ok-job',
      modelId: 'amazon.nova-lite-v1:0',
      roleArn: ROLE,
      modelInvocationType: 'Converse',
      timeoutDurationInHours: 24,
      totalRecordCount: 4,
      processedRecordCount: 4,
      successRecordCount: 4,
      errorRecordCount: 0,
    });
    expect(job.submitTime).toBeInstanceOf(Date);
    expect(job.endTime?.getTime()).toBeGreaterThanOrEqual(job.submitTime?.getTime() ?? 0);
    expect(job.jobExpirationTime?.getTime()).toBe((job.submitTime?.getTime() ?? 0) + 24 * 3600 * 1000);
    const id = jobIdOf(jobArn ?? '');
    const out = (await readText(`out/${id}/requests.jsonl.out`))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out).toHaveLength(4);
    expect(out[0]).toMatchObject({
      recordId: 'REC0',
      modelInput: { messages: [{ role: 'user', content: [{ text: 'say one' }] }] },
      modelOutput: {
        output: { message: { role: 'assistant', content: [{ text: 'Echo: say one' }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 2, outputTokens: 4 },
      },
    });
    const manifest = JSON.parse(await readText(`out/${id}/manifest.json.out`));
    expect(manifest).toEqual({
      totalRecordCount: 4,
      processedRecordCount: 4,
      successRecordCount: 4,
      errorRecordCount: 0,
      inputTokenCount: out.reduce((n, l) => n + l.modelOutput.usage.inputTokens, 0),
      outputTokenCount: out.reduce((n, l) => n + l.modelOutput.usage.outputTokens, 0),
    });
  });

  it('walks Submitted → Validating → Scheduled → InProgress → Completed', async () => {
    await fetch(`${emu.url}/_emulator/batch/config`, { method: 'PUT', body: JSON.stringify({ stepMs: 700 }) });
    try {
      await putInput(
        'in/walk.jsonl',
        ['a', 'b', 'c'].map((t, i) => converseRecord(`W${i}`, t)),
      );
      const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('walk', 'in/walk.jsonl')));
      const seen: string[] = [];
      await waitFor(jobArn ?? '', (j) => {
        if (seen.at(-1) !== j.status) seen.push(j.status ?? '');
        if (j.status === 'Submitted' || j.status === 'Validating') expect(j.processedRecordCount).toBe(0);
        return TERMINAL.includes(j.status ?? '');
      });
      // Each step lasts 700 ms (far longer than one poll), so every status up to the run is seen; a 3-record run may end within one poll.
      expect(seen.slice(0, 3)).toEqual(['Submitted', 'Validating', 'Scheduled']);
      expect(seen.at(-1)).toBe('Completed');
      expect(
        seen.filter((s) => !['Submitted', 'Validating', 'Scheduled', 'InProgress', 'Completed'].includes(s)),
      ).toEqual([]);
    } finally {
      await fetch(`${emu.url}/_emulator/batch/config`, { method: 'PUT', body: JSON.stringify({ stepMs: 5 }) });
    }
  });

  it('reads every .jsonl under a folder URI and runs InvokeModel records (Titan embeddings)', async () => {
    const record = (id: string, text: string) => JSON.stringify({ recordId: id, modelInput: { inputText: text } });
    await putInput('in/folder/part-1.jsonl', [record('E1', 'alpha'), record('E2', 'beta')]);
    await putInput('in/folder/part-2.jsonl', [record('E3', 'gamma')]);
    await putInput('in/folder/notes.txt', ['ignored']);
    const { jobArn } = await bedrock.send(
      new CreateModelInvocationJobCommand(
        jobInput('embed-job', 'in/folder/', {
          modelId: 'amazon.titan-embed-text-v2:0',
          modelInvocationType: 'InvokeModel',
        }),
      ),
    );
    const job = await waitFor(jobArn ?? '');
    expect(job).toMatchObject({ status: 'Completed', totalRecordCount: 3, successRecordCount: 3 });
    const id = jobIdOf(jobArn ?? '');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'batch', Prefix: `out/${id}/` }));
    expect(listed.Contents?.map((c) => c.Key).sort()).toEqual([
      `out/${id}/manifest.json.out`,
      `out/${id}/part-1.jsonl.out`,
      `out/${id}/part-2.jsonl.out`,
    ]);
    const line = JSON.parse((await readText(`out/${id}/part-2.jsonl.out`)).trim());
    expect(line.recordId).toBe('E3');
    expect(line.modelOutput.embedding).toHaveLength(1024);
    expect(line.modelOutput.inputTextTokenCount).toBe(2);
  });

  it('runs Claude InvokeModel records (Anthropic Messages bodies) through a profile id', async () => {
    const claude = (id: string, text: string) =>
      JSON.stringify({
        recordId: id,
        modelInput: {
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 64,
          messages: [{ role: 'user', content: text }],
        },
      });
    await putInput('in/claude.jsonl', [claude('C1', 'first'), claude('C2', 'second'), claude('C3', 'third')]);
    const { jobArn } = await bedrock.send(
      new CreateModelInvocationJobCommand(
        jobInput('claude-invoke', 'in/claude.jsonl', {
          modelId: 'us.anthropic.claude-3-5-haiku-20241022-v1:0',
          modelInvocationType: 'InvokeModel',
        }),
      ),
    );
    const job = await waitFor(jobArn ?? '');
    expect(job).toMatchObject({ status: 'Completed', successRecordCount: 3 });
    const first = JSON.parse((await readText(`out/${jobIdOf(jobArn ?? '')}/claude.jsonl.out`)).split('\n')[0] ?? '');
    expect(first.modelOutput).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'Echo: first' }],
    });
    expect(first.modelOutput.usage.input_tokens).toBeGreaterThan(0);
    const manifest = JSON.parse(await readText(`out/${jobIdOf(jobArn ?? '')}/manifest.json.out`));
    expect(manifest.inputTokenCount).toBeGreaterThanOrEqual(3 * first.modelOutput.usage.input_tokens);
    expect(manifest.outputTokenCount).toBeGreaterThan(0);
  });

  it('turns malformed records into per-record errors and ends PartiallyCompleted', async () => {
    await putInput('in/mixed.jsonl', [
      converseRecord('GOOD1', 'fine'),
      '{not json',
      JSON.stringify({ recordId: 'NOINPUT' }),
      JSON.stringify({ recordId: 'BADROLE', modelInput: { messages: [{ role: 'system', content: [{ text: 'x' }] }] } }),
      converseRecord('GOOD2', 'also fine'),
    ]);
    const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('mixed', 'in/mixed.jsonl')));
    const job = await waitFor(jobArn ?? '');
    expect(job).toMatchObject({
      status: 'PartiallyCompleted',
      totalRecordCount: 5,
      processedRecordCount: 5,
      successRecordCount: 2,
      errorRecordCount: 3,
    });
    const out = (await readText(`out/${jobIdOf(jobArn ?? '')}/mixed.jsonl.out`))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out.map((l) => l.recordId)).toEqual(['GOOD1', 'CALL0000002', 'NOINPUT', 'BADROLE', 'GOOD2']);
    expect(out[1]).toEqual({
      recordId: 'CALL0000002',
      error: { errorCode: 400, errorMessage: 'Malformed input request, please reformat your input and try again.' },
    });
    expect(out[3].error.errorCode).toBe(400);
    expect(out[3].error.errorMessage).toMatch(/role/);
    expect(out[3].modelInput).toBeDefined();
    expect(out[4].modelOutput.output.message.content[0].text).toBe('Echo: also fine');
  });

  it('fails validation with a message: too few records, or no input at all', async () => {
    await putInput('in/short.jsonl', [converseRecord('S1', 'only one'), converseRecord('S2', 'and two')]);
    const short = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('too-short', 'in/short.jsonl')));
    const failed = await waitFor(short.jobArn ?? '');
    expect(failed.status).toBe('Failed');
    expect(failed.message).toBe('The job has 2 records, fewer than the minimum of 3 records per batch inference job.');
    const missing = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('no-input', 'in/nothing-here/')));
    const none = await waitFor(missing.jobArn ?? '');
    expect(none.status).toBe('Failed');
    expect(none.message).toContain('No .jsonl input files were found at s3://batch/in/nothing-here/');
    const noBucket = await bedrock.send(
      new CreateModelInvocationJobCommand(
        jobInput('no-bucket', 'x.jsonl', {
          inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://no-such-bucket/x.jsonl' } },
        }),
      ),
    );
    const unreadable = await waitFor(noBucket.jobArn ?? '');
    expect(unreadable.status).toBe('Failed');
    expect(unreadable.message).toContain('NoSuchBucket');
    const noOutput = await bedrock.send(
      new CreateModelInvocationJobCommand(
        jobInput('no-output', 'in/short.jsonl', {
          outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://gone-bucket/out/' } },
        }),
      ),
    );
    const unwritable = await waitFor(noOutput.jobArn ?? '');
    expect(unwritable).toMatchObject({ status: 'Failed', processedRecordCount: 0 });
    expect(unwritable.message).toContain('could not write s3://gone-bucket/out/: NoSuchBucket');
  });

  it('refuses invalid requests with the service-model constraints, all at once', async () => {
    await expect(
      bedrock.send(
        new CreateModelInvocationJobCommand(
          jobInput('bad name!', 'in/x.jsonl', { roleArn: 'arn:aws:iam::123:user/x', timeoutDurationInHours: 10 }),
        ),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message:
        "3 validation errors detected: Value 'bad name!' at 'jobName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\\+\\-\\.]){0,63}; Value 'arn:aws:iam::123:user/x' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+; Value '10' at 'timeoutDurationInHours' failed to satisfy constraint: Member must have value greater than or equal to 24",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      bedrock.send(
        new CreateModelInvocationJobCommand(
          jobInput('uri', 'x', { outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://Bad_Bucket/out' } } }),
        ),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("at 'outputDataConfig.s3OutputDataConfig.s3Uri'"),
    });
    await expect(
      bedrock.send(
        new CreateModelInvocationJobCommand(jobInput('unknown-model', 'x.jsonl', { modelId: 'acme.nothing-v1:0' })),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', message: 'The provided model identifier is invalid.' });
    await expect(
      bedrock.send(
        new CreateModelInvocationJobCommand(
          jobInput('no-batch', 'x.jsonl', { modelId: 'stability.sd3-large-v1:0', modelInvocationType: 'InvokeModel' }),
        ),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("doesn't support batch inference"),
    });
    await expect(
      bedrock.send(
        new CreateModelInvocationJobCommand(
          jobInput('converse-embed', 'x.jsonl', { modelId: 'amazon.titan-embed-text-v2:0' }),
        ),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('Converse') });
    const raw = await fetch(`${emu.url}/model-invocation-job`, { method: 'POST', body: '{}' });
    expect(raw.status).toBe(403);
  });

  it('takes every model id form the gateway may send: foundation id, profile id, foundation-model ARN', async () => {
    await putInput(
      'in/forms.jsonl',
      ['a', 'b', 'c'].map((t, i) => converseRecord(`F${i}`, t)),
    );
    for (const modelId of [
      'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'anthropic.claude-sonnet-4-5-20250929-v1:0',
      'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0',
      'us.meta.llama3-3-70b-instruct-v1:0',
    ]) {
      const { jobArn } = await bedrock.send(
        new CreateModelInvocationJobCommand(jobInput(`forms-${modelId.length}`, 'in/forms.jsonl', { modelId })),
      );
      const job = await waitFor(jobArn ?? '');
      expect({ modelId: job.modelId, status: job.status }).toEqual({ modelId, status: 'Completed' });
    }
  });

  it('is idempotent on clientRequestToken and refuses the same token with other parameters', async () => {
    await putInput(
      'in/idem.jsonl',
      ['x', 'y', 'z'].map((t, i) => converseRecord(`I${i}`, t)),
    );
    const input = jobInput('idem', 'in/idem.jsonl', { clientRequestToken: 'token-123' });
    const first = await bedrock.send(new CreateModelInvocationJobCommand(input));
    const again = await bedrock.send(new CreateModelInvocationJobCommand(input));
    expect(again.jobArn).toBe(first.jobArn);
    await expect(
      bedrock.send(new CreateModelInvocationJobCommand({ ...input, jobName: 'idem-other' })),
    ).rejects.toMatchObject({ name: 'ConflictException', $metadata: { httpStatusCode: 400 } });
    const job = await waitFor(first.jobArn ?? '');
    expect(job.clientRequestToken).toBe('token-123');
  });

  it('keeps job names unique among live jobs, and enforces the per-model job quota', async () => {
    await fetch(`${emu.url}/_emulator/batch/faults`, {
      method: 'POST',
      body: JSON.stringify({ type: 'hold', jobName: 'live-' }),
    });
    await putInput(
      'in/live.jsonl',
      ['x', 'y', 'z'].map((t, i) => converseRecord(`L${i}`, t)),
    );
    const live = await bedrock.send(
      new CreateModelInvocationJobCommand(jobInput('live-one', 'in/live.jsonl', { modelId: 'amazon.nova-micro-v1:0' })),
    );
    await expect(
      bedrock.send(
        new CreateModelInvocationJobCommand(
          jobInput('live-one', 'in/live.jsonl', { modelId: 'amazon.nova-micro-v1:0' }),
        ),
      ),
    ).rejects.toMatchObject({ name: 'ConflictException', message: expect.stringContaining('live-one') });
    await fetch(`${emu.url}/_emulator/batch/config`, {
      method: 'PUT',
      body: JSON.stringify({ maxActiveJobsPerModel: 1 }),
    });
    try {
      await expect(
        bedrock.send(
          new CreateModelInvocationJobCommand(
            jobInput('live-two', 'in/live.jsonl', { modelId: 'amazon.nova-micro-v1:0' }),
          ),
        ),
      ).rejects.toMatchObject({ name: 'ServiceQuotaExceededException', $metadata: { httpStatusCode: 400 } });
    } finally {
      await fetch(`${emu.url}/_emulator/batch/config`, {
        method: 'PUT',
        body: JSON.stringify({ maxActiveJobsPerModel: 20 }),
      });
    }
    await fetch(`${emu.url}/_emulator/batch/faults`, { method: 'DELETE' });
    expect((await waitFor(live.jobArn ?? '')).status).toBe('Completed');
    // Once the first job ended, its name is free again.
    const reuse = await bedrock.send(
      new CreateModelInvocationJobCommand(jobInput('live-one', 'in/live.jsonl', { modelId: 'amazon.nova-micro-v1:0' })),
    );
    expect(reuse.jobArn).not.toBe(live.jobArn);
    await waitFor(reuse.jobArn ?? '');
  });

  it('stops a job mid-way: Stopping → Stopped, keeping the records processed so far', async () => {
    await fetch(`${emu.url}/_emulator/batch/faults`, {
      method: 'POST',
      body: JSON.stringify({ type: 'hold', jobName: 'stop-me', afterRecords: 2 }),
    });
    await putInput(
      'in/stop.jsonl',
      ['a', 'b', 'c', 'd', 'e'].map((t, i) => converseRecord(`T${i}`, t)),
    );
    const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('stop-me', 'in/stop.jsonl')));
    await waitFor(jobArn ?? '', (j) => j.status === 'InProgress' && j.processedRecordCount === 2);
    await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }));
    const stopped = await waitFor(jobArn ?? '');
    expect(stopped).toMatchObject({
      status: 'Stopped',
      totalRecordCount: 5,
      processedRecordCount: 2,
      successRecordCount: 2,
    });
    const id = jobIdOf(jobArn ?? '');
    expect((await readText(`out/${id}/stop.jsonl.out`)).trim().split('\n')).toHaveLength(2);
    expect(JSON.parse(await readText(`out/${id}/manifest.json.out`))).toMatchObject({
      processedRecordCount: 2,
      totalRecordCount: 5,
    });
    await expect(bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('stops a job before it runs (by bare job id)', async () => {
    await fetch(`${emu.url}/_emulator/batch/config`, { method: 'PUT', body: JSON.stringify({ stepMs: 1000 }) });
    try {
      await putInput(
        'in/early.jsonl',
        ['a', 'b', 'c'].map((t, i) => converseRecord(`Y${i}`, t)),
      );
      const { jobArn } = await bedrock.send(
        new CreateModelInvocationJobCommand(jobInput('early-stop', 'in/early.jsonl')),
      );
      await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobIdOf(jobArn ?? '') }));
      const now = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
      expect(now.status).toBe('Stopping');
      const done = await waitFor(jobArn ?? '');
      expect(done).toMatchObject({ status: 'Stopped', processedRecordCount: 0 });
    } finally {
      await fetch(`${emu.url}/_emulator/batch/config`, { method: 'PUT', body: JSON.stringify({ stepMs: 5 }) });
    }
  });

  it('expires a job (fault) keeping partial output, and fails one on demand', async () => {
    await fetch(`${emu.url}/_emulator/batch/faults`, {
      method: 'POST',
      body: JSON.stringify([
        { type: 'expire', jobName: 'expire-me', afterRecords: 1 },
        { type: 'fail', jobName: 'fail-me', stage: 'Validating', message: 'The role cannot read the bucket.' },
      ]),
    });
    await putInput(
      'in/exp.jsonl',
      ['a', 'b', 'c'].map((t, i) => converseRecord(`X${i}`, t)),
    );
    const exp = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('expire-me', 'in/exp.jsonl')));
    const expired = await waitFor(exp.jobArn ?? '');
    expect(expired).toMatchObject({ status: 'Expired', processedRecordCount: 1 });
    expect(expired.message).toContain('timed out');
    expect((await readText(`out/${jobIdOf(exp.jobArn ?? '')}/exp.jsonl.out`)).trim().split('\n')).toHaveLength(1);
    const fail = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('fail-me', 'in/exp.jsonl')));
    const failed = await waitFor(fail.jobArn ?? '');
    expect(failed).toMatchObject({
      status: 'Failed',
      message: 'The role cannot read the bucket.',
      processedRecordCount: 0,
    });
  });

  it('takes batch faults through the common fault endpoint too (batch-fail next to a runtime fault)', async () => {
    const res = await fetch(`${emu.url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify([
        { type: 'batch-fail', jobName: 'common-fault', message: 'Injected through /_emulator/faults.' },
        { type: 'throttle', operation: 'CountTokens', count: 1 },
      ]),
    });
    expect(await res.json()).toMatchObject({
      faults: [{ type: 'throttle', operation: 'CountTokens' }],
      batchFaults: [{ type: 'fail', jobName: 'common-fault' }],
    });
    await putInput(
      'in/common.jsonl',
      ['a', 'b', 'c'].map((t, i) => converseRecord(`Q${i}`, t)),
    );
    const { jobArn } = await bedrock.send(
      new CreateModelInvocationJobCommand(jobInput('common-fault', 'in/common.jsonl')),
    );
    expect(await waitFor(jobArn ?? '')).toMatchObject({
      status: 'Failed',
      message: 'Injected through /_emulator/faults.',
    });
    const bad = await fetch(`${emu.url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ type: 'batch-explode' }),
    });
    expect(bad.status).toBe(400);
    await fetch(`${emu.url}/_emulator/faults`, { method: 'DELETE' });
    expect(emu.state.faults).toEqual([]);
    expect(emu.state.batch.faults).toEqual([]);
  });

  it('expires a held job once the emulator clock passes jobExpirationTime', async () => {
    await fetch(`${emu.url}/_emulator/batch/faults`, {
      method: 'POST',
      body: JSON.stringify({ type: 'hold', jobName: 'clock' }),
    });
    await putInput(
      'in/clock.jsonl',
      ['a', 'b', 'c'].map((t, i) => converseRecord(`C${i}`, t)),
    );
    const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('clock-job', 'in/clock.jsonl')));
    await waitFor(jobArn ?? '', (j) => j.status === 'InProgress');
    emu.state.clock.advance(25 * 3600 * 1000);
    try {
      await fetch(`${emu.url}/_emulator/batch/faults`, { method: 'DELETE' });
      let job = emu.state.batch.get(jobIdOf(jobArn ?? ''));
      for (let i = 0; i < 500 && job.status === 'InProgress'; i++) {
        await new Promise((r) => setTimeout(r, 10));
        job = emu.state.batch.get(jobIdOf(jobArn ?? ''));
      }
      expect(job.status).toBe('Expired');
      expect(job.processedRecordCount).toBe(0);
    } finally {
      emu.state.clock.advance(-25 * 3600 * 1000);
    }
  });

  it('lists jobs with filters, sort order and pages', async () => {
    const all = await bedrock.send(new ListModelInvocationJobsCommand({}));
    const summaries = all.invocationJobSummaries ?? [];
    expect(summaries.length).toBeGreaterThan(5);
    const times = summaries.map((s) => s.submitTime?.getTime() ?? 0);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const failed = await bedrock.send(new ListModelInvocationJobsCommand({ statusEquals: 'Failed' }));
    expect(failed.invocationJobSummaries?.every((s) => s.status === 'Failed')).toBe(true);
    expect(failed.invocationJobSummaries?.map((s) => s.jobName)).toEqual(
      expect.arrayContaining(['too-short', 'fail-me']),
    );
    const named = await bedrock.send(new ListModelInvocationJobsCommand({ nameContains: 'live' }));
    expect(named.invocationJobSummaries?.map((s) => s.jobName).sort()).toEqual(['live-one', 'live-one']);
    const asc = await bedrock.send(new ListModelInvocationJobsCommand({ sortOrder: 'Ascending', maxResults: 1000 }));
    expect(asc.invocationJobSummaries?.[0]?.jobName).toBe('ok-job');
    const pages: string[] = [];
    let token: string | undefined;
    do {
      const page = await bedrock.send(new ListModelInvocationJobsCommand({ maxResults: 2, nextToken: token }));
      expect(page.invocationJobSummaries?.length).toBeLessThanOrEqual(2);
      pages.push(...(page.invocationJobSummaries ?? []).map((s) => s.jobArn ?? ''));
      token = page.nextToken;
    } while (token);
    expect(pages).toEqual(summaries.map((s) => s.jobArn));
    const after = await bedrock.send(
      new ListModelInvocationJobsCommand({ submitTimeAfter: summaries[1]?.submitTime, sortOrder: 'Descending' }),
    );
    expect(
      after.invocationJobSummaries?.every(
        (s) => (s.submitTime?.getTime() ?? 0) > (summaries[1]?.submitTime?.getTime() ?? 0),
      ),
    ).toBe(true);
    await expect(bedrock.send(new ListModelInvocationJobsCommand({ maxResults: 5000 }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('answers unknown jobs with ResourceNotFoundException and malformed ids with ValidationException', async () => {
    await expect(
      bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: 'abcdefabcdef' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    await expect(bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: 'not-a-job' }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('takes the record minimum from the admin API', async () => {
    const res = await fetch(`${emu.url}/_emulator/batch/config`, {
      method: 'PUT',
      body: JSON.stringify({ minRecords: 100 }),
    });
    expect(await res.json()).toMatchObject({ minRecords: 100, stepMs: 5, s3: 'builtin' });
    try {
      await putInput(
        'in/ten.jsonl',
        Array.from({ length: 10 }, (_, i) => converseRecord(`N${i}`, 'x')),
      );
      const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(jobInput('quota', 'in/ten.jsonl')));
      const job = await waitFor(jobArn ?? '');
      expect(job.status).toBe('Failed');
      expect(job.message).toContain('minimum of 100 records');
    } finally {
      await fetch(`${emu.url}/_emulator/batch/config`, { method: 'PUT', body: JSON.stringify({ minRecords: 3 }) });
    }
    const quota = async (settings: Record<string, number>, name: string) => {
      await fetch(`${emu.url}/_emulator/batch/config`, { method: 'PUT', body: JSON.stringify(settings) });
      try {
        const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(jobInput(name, 'in/ten.jsonl')));
        return await waitFor(jobArn ?? '');
      } finally {
        await fetch(`${emu.url}/_emulator/batch/config`, {
          method: 'PUT',
          body: JSON.stringify({
            maxRecordsPerFile: 50000,
            maxRecordsPerJob: 50000,
            maxJobInputBytes: 536870912,
            maxInputFileBytes: 268435456,
          }),
        });
      }
    };
    expect((await quota({ maxRecordsPerJob: 9 }, 'quota-job')).message).toBe(
      'The job has 10 records, more than the quota of 9 records per job.',
    );
    expect((await quota({ maxRecordsPerFile: 5 }, 'quota-file')).message).toContain(
      'has 10 records, more than the quota of 5 records per file',
    );
    expect((await quota({ maxInputFileBytes: 100 }, 'quota-size')).message).toContain(
      'larger than the quota of 100 bytes per file',
    );
    expect((await quota({ maxJobInputBytes: 100 }, 'quota-total')).message).toContain(
      'more than the quota of 100 bytes per job',
    );
    const bad = await fetch(`${emu.url}/_emulator/batch/config`, {
      method: 'PUT',
      body: JSON.stringify({ minRecord: 1 }),
    });
    expect(bad.status).toBe(400);
  });
});
