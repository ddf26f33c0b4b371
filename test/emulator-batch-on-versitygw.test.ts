/**
 * The emulator's batch runner against a real S3 server (versitygw, posix backend): the job's input and
 * output URIs live in versitygw, the emulator reads and writes them there with @aws-sdk/client-s3.
 */
import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  type GetModelInvocationJobCommandOutput,
} from '@aws-sdk/client-bedrock';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../emulator/src/index.js';
import { type RunningVersitygw, startVersitygw, versitygwAvailability } from './helpers/versitygw.js';

const availability = versitygwAvailability();
const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

describe.skipIf(!availability.run)('emulator batch jobs on versitygw', () => {
  let vgw: RunningVersitygw;
  let emu: RunningEmulator;
  let s3: S3Client;
  let bedrock: BedrockClient;

  beforeAll(async () => {
    vgw = await startVersitygw({ buckets: ['batch-in', 'batch-out'] });
    emu = await startEmulator({
      port: 0,
      batch: {
        stepMs: 5,
        minRecords: 2,
        s3: { endpoint: vgw.endpoint, accessKeyId: vgw.accessKeyId, secretAccessKey: vgw.secretAccessKey },
      },
    });
    s3 = vgw.client();
    bedrock = new BedrockClient({ endpoint: emu.url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  }, 60_000);

  afterAll(async () => {
    bedrock?.destroy();
    await emu?.close();
    await vgw?.stop();
  });

  async function waitFor(jobArn: string): Promise<GetModelInvocationJobCommandOutput> {
    for (let i = 0; i < 2000; i++) {
      const job = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
      if (['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired'].includes(job.status ?? '')) return job;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('job did not finish');
  }

  async function read(bucket: string, key: string): Promise<string> {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await out.Body?.transformToString()) ?? '';
  }

  it('versitygw itself behaves like S3 for what the gateway needs (metadata, conditional create)', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: 'batch-in',
        Key: 'probe.txt',
        Body: 'x',
        Metadata: { owner: 'user:a' },
        IfNoneMatch: '*',
      }),
    );
    await expect(
      s3.send(new PutObjectCommand({ Bucket: 'batch-in', Key: 'probe.txt', Body: 'y', IfNoneMatch: '*' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'batch-in', Key: 'probe.txt' }));
    expect(got.Metadata).toEqual({ owner: 'user:a' });
    expect(await got.Body?.transformToString()).toBe('x');
  });

  it('reads input from versitygw and writes <file>.out and manifest.json.out there', async () => {
    const lines = [
      { recordId: 'R1', modelInput: { messages: [{ role: 'user', content: [{ text: 'first' }] }] } },
      { recordId: 'R2', modelInput: { messages: [{ role: 'user', content: [{ text: 'second' }] }] } },
      { recordId: 'R3', modelInput: { messages: [] } },
    ].map((l) => JSON.stringify(l));
    await s3.send(
      new PutObjectCommand({ Bucket: 'batch-in', Key: 'jobs/42/input.jsonl', Body: `${lines.join('\n')}\n` }),
    );
    const { jobArn } = await bedrock.send(
      new CreateModelInvocationJobCommand({
        jobName: 'on-versitygw',
        roleArn: 'arn:aws:iam::111122223333:role/BedrockBatch',
        modelId: 'us.anthropic.claude-3-5-haiku-20241022-v1:0',
        modelInvocationType: 'Converse',
        inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://batch-in/jobs/42/input.jsonl' } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://batch-out/results/' } },
      }),
    );
    const job = await waitFor(jobArn ?? '');
    expect(job).toMatchObject({
      status: 'PartiallyCompleted',
      totalRecordCount: 3,
      successRecordCount: 2,
      errorRecordCount: 1,
    });
    const id = (jobArn ?? '').split('/').at(-1);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'batch-out', Prefix: `results/${id}/` }));
    expect(listed.Contents?.map((c) => c.Key).sort()).toEqual([
      `results/${id}/input.jsonl.out`,
      `results/${id}/manifest.json.out`,
    ]);
    const out = (await read('batch-out', `results/${id}/input.jsonl.out`))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out.map((l) => l.recordId)).toEqual(['R1', 'R2', 'R3']);
    expect(out[0].modelOutput.output.message.content[0].text).toBe('Echo: first');
    expect(out[2].error.errorCode).toBe(400);
    const manifest = JSON.parse(await read('batch-out', `results/${id}/manifest.json.out`));
    expect(manifest).toMatchObject({
      totalRecordCount: 3,
      processedRecordCount: 3,
      successRecordCount: 2,
      errorRecordCount: 1,
    });
    expect(manifest.inputTokenCount).toBeGreaterThan(0);
  });

  it('fails a job whose input is missing in versitygw, naming the S3 error', async () => {
    const { jobArn } = await bedrock.send(
      new CreateModelInvocationJobCommand({
        jobName: 'missing-on-versitygw',
        roleArn: 'arn:aws:iam::111122223333:role/BedrockBatch',
        modelId: 'amazon.nova-micro-v1:0',
        modelInvocationType: 'Converse',
        inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://no-such-bucket-here/in.jsonl' } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://batch-out/results/' } },
      }),
    );
    const job = await waitFor(jobArn ?? '');
    expect(job.status).toBe('Failed');
    expect(job.message).toContain('s3://no-such-bucket-here/in.jsonl');
    expect(job.message).toContain('NoSuchBucket');
  });
});
