/**
 * `aigw emulator` as `make run` starts it: the demo bucket exists, the S3 subset and the batch control plane
 * answer on the one port, and the batch flags (and an external S3 from --s3-endpoint) take effect.
 */
import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  type GetModelInvocationJobCommandOutput,
} from '@aws-sdk/client-bedrock';
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY, type EmulatorProcess, spawnEmulator } from './acceptance/emulator-harness.js';
import { type RunningVersitygw, startVersitygw, versitygwAvailability } from './helpers/versitygw.js';

const started: EmulatorProcess[] = [];
const clients: Array<{ destroy(): void }> = [];

afterAll(async () => {
  for (const c of clients) c.destroy();
  for (const e of started) await e.close();
});

function clientsFor(url: string): { s3: S3Client; bedrock: BedrockClient } {
  const s3 = new S3Client({ endpoint: url, region: 'us-east-1', forcePathStyle: true, credentials: ACCESS_KEY });
  const bedrock = new BedrockClient({ endpoint: url, region: 'us-east-1', credentials: ACCESS_KEY });
  clients.push(s3, bedrock);
  return { s3, bedrock };
}

async function finished(bedrock: BedrockClient, jobArn: string): Promise<GetModelInvocationJobCommandOutput> {
  for (let i = 0; i < 2000; i++) {
    const job = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
    if (['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired'].includes(job.status ?? '')) return job;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('job did not finish');
}

const records = ['one', 'two'].map((t, i) =>
  JSON.stringify({ recordId: `R${i}`, modelInput: { messages: [{ role: 'user', content: [{ text: t }] }] } }),
);

function createJob(name: string, bucket: string) {
  return new CreateModelInvocationJobCommand({
    jobName: name,
    roleArn: 'arn:aws:iam::111122223333:role/BedrockBatch',
    modelId: 'amazon.nova-micro-v1:0',
    modelInvocationType: 'Converse',
    inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://${bucket}/aigateway/in.jsonl` } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${bucket}/aigateway/out/` } },
  });
}

describe('aigw emulator: S3 and batch on one port', () => {
  it('has the demo bucket and runs a job with --batch-step-ms and --batch-min-records', async () => {
    const emu = await spawnEmulator(['--batch-step-ms', '5', '--batch-min-records', '2']);
    started.push(emu);
    const { s3, bedrock } = clientsFor(emu.url);
    expect((await s3.send(new HeadBucketCommand({ Bucket: 'aigw-demo' }))).$metadata.httpStatusCode).toBe(200);
    await s3.send(new PutObjectCommand({ Bucket: 'aigw-demo', Key: 'aigateway/in.jsonl', Body: records.join('\n') }));
    const { jobArn } = await bedrock.send(createJob('cli-job', 'aigw-demo'));
    const job = await finished(bedrock, jobArn ?? '');
    expect(job).toMatchObject({ status: 'Completed', successRecordCount: 2 });
    const id = jobArn?.split('/').at(-1);
    const out = await s3.send(new GetObjectCommand({ Bucket: 'aigw-demo', Key: `aigateway/out/${id}/in.jsonl.out` }));
    expect((await out.Body?.transformToString())?.trim().split('\n')).toHaveLength(2);
    const config = await (await fetch(`${emu.url}/_emulator/batch/config`)).json();
    expect(config).toMatchObject({ stepMs: 5, minRecords: 2, s3: 'builtin' });
  });

  it('refuses --s3-endpoint without keys in the environment', async () => {
    await expect(spawnEmulator(['--s3-endpoint', 'http://127.0.0.1:1'])).rejects.toThrow(
      /AIGW_EMULATOR_S3_ACCESS_KEY_ID/,
    );
  });
});

const vgwAvailability = versitygwAvailability();

describe.skipIf(!vgwAvailability.run)('aigw emulator --s3-endpoint (versitygw)', () => {
  let vgw: RunningVersitygw;
  afterAll(async () => vgw?.stop());

  it('runs jobs against the external S3, with its keys from the environment only', async () => {
    vgw = await startVersitygw({ buckets: ['ext-batch'] });
    process.env.AIGW_EMULATOR_S3_ACCESS_KEY_ID = vgw.accessKeyId;
    process.env.AIGW_EMULATOR_S3_SECRET_ACCESS_KEY = vgw.secretAccessKey;
    let emu: EmulatorProcess;
    try {
      emu = await spawnEmulator(['--batch-step-ms', '5', '--batch-min-records', '2', '--s3-endpoint', vgw.endpoint]);
    } finally {
      delete process.env.AIGW_EMULATOR_S3_ACCESS_KEY_ID;
      delete process.env.AIGW_EMULATOR_S3_SECRET_ACCESS_KEY;
    }
    started.push(emu);
    const external = vgw.client();
    await external.send(
      new PutObjectCommand({ Bucket: 'ext-batch', Key: 'aigateway/in.jsonl', Body: records.join('\n') }),
    );
    const { bedrock } = clientsFor(emu.url);
    const { jobArn } = await bedrock.send(createJob('ext-job', 'ext-batch'));
    expect((await finished(bedrock, jobArn ?? '')).status).toBe('Completed');
    const id = jobArn?.split('/').at(-1);
    const manifest = await external.send(
      new GetObjectCommand({ Bucket: 'ext-batch', Key: `aigateway/out/${id}/manifest.json.out` }),
    );
    expect(JSON.parse((await manifest.Body?.transformToString()) ?? '{}')).toMatchObject({ successRecordCount: 2 });
    const config = await (await fetch(`${emu.url}/_emulator/batch/config`)).text();
    expect(config).toContain(vgw.endpoint);
    expect(config).not.toContain(vgw.secretAccessKey);
    expect(emu.output()).not.toContain(vgw.secretAccessKey);
  });
});
