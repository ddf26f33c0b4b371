/**
 * ListInferenceProfiles / GetInferenceProfile through the official control-plane SDK
 * (@aws-sdk/client-bedrock): the system-defined cross-region profiles come from the catalog, page with
 * maxResults / nextToken, filter by type, and every listed profile id is one the runtime accepts.
 */
import {
  BedrockClient,
  GetInferenceProfileCommand,
  type InferenceProfileSummary,
  ListInferenceProfilesCommand,
  paginateListInferenceProfiles,
} from '@aws-sdk/client-bedrock';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, type RunningEmulator, startEmulator } from '../src/index.js';

const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const SONNET_45 = 'anthropic.claude-sonnet-4-5-20250929-v1:0';

let emu: RunningEmulator;
let client: BedrockClient;

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  client = new BedrockClient({ endpoint: emu.url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await emu.close();
});

async function listAll(pageSize: number): Promise<InferenceProfileSummary[]> {
  const all: InferenceProfileSummary[] = [];
  for await (const page of paginateListInferenceProfiles({ client, pageSize }, {})) {
    expect(page.inferenceProfileSummaries?.length).toBeLessThanOrEqual(pageSize);
    all.push(...(page.inferenceProfileSummaries ?? []));
  }
  return all;
}

describe('inference profiles through @aws-sdk/client-bedrock', () => {
  it('lists one system-defined profile per catalog model and geography', async () => {
    const out = await client.send(new ListInferenceProfilesCommand({}));
    const ids = (out.inferenceProfileSummaries ?? []).map((p) => p.inferenceProfileId);
    const expected = [...CATALOG.values()].flatMap((m) => m.profiles.map((g) => `${g}.${m.id}`));
    expect([...ids].sort()).toEqual([...expected].sort());
    expect(out.nextToken).toBeUndefined();
    for (const geo of ['us', 'eu', 'apac', 'global']) expect(ids).toContain(`${geo}.${SONNET_45}`);
  });

  it('describes a profile with its ARN, status, type and the foundation-model ARNs it routes to', async () => {
    const out = await client.send(new GetInferenceProfileCommand({ inferenceProfileIdentifier: `us.${SONNET_45}` }));
    expect(out).toMatchObject({
      inferenceProfileId: `us.${SONNET_45}`,
      inferenceProfileArn: `arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.${SONNET_45}`,
      inferenceProfileName: 'US Anthropic claude-sonnet-4-5-20250929',
      status: 'ACTIVE',
      type: 'SYSTEM_DEFINED',
    });
    expect(out.models?.map((m) => m.modelArn)).toEqual([
      `arn:aws:bedrock:us-east-1::foundation-model/${SONNET_45}`,
      `arn:aws:bedrock:us-east-2::foundation-model/${SONNET_45}`,
      `arn:aws:bedrock:us-west-2::foundation-model/${SONNET_45}`,
    ]);
    // The SDK parses the timestamps into Dates.
    expect(out.createdAt).toBeInstanceOf(Date);
    const byArn = await client.send(
      new GetInferenceProfileCommand({ inferenceProfileIdentifier: out.inferenceProfileArn }),
    );
    expect(byArn.inferenceProfileId).toBe(out.inferenceProfileId);
    const eu = await client.send(new GetInferenceProfileCommand({ inferenceProfileIdentifier: `eu.${SONNET_45}` }));
    expect(eu.models?.every((m) => /^arn:aws:bedrock:eu-/.test(m.modelArn ?? ''))).toBe(true);
  });

  it('pages with maxResults and nextToken without losing or repeating a profile', async () => {
    const whole = (await client.send(new ListInferenceProfilesCommand({}))).inferenceProfileSummaries ?? [];
    const first = await client.send(new ListInferenceProfilesCommand({ maxResults: 7 }));
    expect(first.inferenceProfileSummaries).toHaveLength(7);
    expect(first.nextToken).toEqual(expect.any(String));
    const paged = await listAll(7);
    expect(paged.map((p) => p.inferenceProfileId)).toEqual(whole.map((p) => p.inferenceProfileId));
  });

  it('filters by type: no application profiles exist, every listed one is system-defined', async () => {
    const app = await client.send(new ListInferenceProfilesCommand({ typeEquals: 'APPLICATION' }));
    expect(app.inferenceProfileSummaries).toEqual([]);
    const system = await client.send(new ListInferenceProfilesCommand({ typeEquals: 'SYSTEM_DEFINED' }));
    expect(system.inferenceProfileSummaries?.length).toBeGreaterThan(20);
    expect(system.inferenceProfileSummaries?.every((p) => p.type === 'SYSTEM_DEFINED')).toBe(true);
  });

  it('every listed profile id is accepted by the runtime', async () => {
    const runtime = new BedrockRuntimeClient({
      endpoint: emu.url,
      region: 'us-east-1',
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    try {
      const profiles = (await client.send(new ListInferenceProfilesCommand({}))).inferenceProfileSummaries ?? [];
      const chat = profiles.filter(
        (p) => CATALOG.get(p.inferenceProfileId?.replace(/^[a-z]+\./, '') ?? '')?.type === 'chat',
      );
      for (const p of chat) {
        const out = await runtime.send(
          new ConverseCommand({
            modelId: p.inferenceProfileId,
            messages: [{ role: 'user', content: [{ text: 'hi' }] }],
          }),
        );
        // Models that always reason (DeepSeek R1) put their reasoning block first.
        expect(out.output?.message?.content?.find((b) => b.text !== undefined)?.text).toBe('Echo: hi');
      }
    } finally {
      runtime.destroy();
    }
  });

  it('refuses what the service model refuses, and answers an unknown profile with ResourceNotFoundException', async () => {
    await expect(client.send(new ListInferenceProfilesCommand({ maxResults: 0 }))).rejects.toMatchObject({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
    });
    await expect(client.send(new ListInferenceProfilesCommand({ maxResults: 1001 }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(client.send(new ListInferenceProfilesCommand({ nextToken: 'bogus' }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'The provided pagination token is invalid.',
    });
    await expect(
      client.send(new GetInferenceProfileCommand({ inferenceProfileIdentifier: 'us.anthropic.claude-9-v1:0' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    // A profile geography that does not carry the model (Claude 3 Haiku has no global profile).
    await expect(
      client.send(
        new GetInferenceProfileCommand({ inferenceProfileIdentifier: 'global.anthropic.claude-3-haiku-20240307-v1:0' }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    const bad = await fetch(`${emu.url}/inference-profiles/${encodeURIComponent('not a profile!')}`, {
      headers: { authorization: 'Bearer ABSKRW11bGF0b3JEZW1vS2V5' },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-amzn-errortype')?.split(':')[0]).toBe('ValidationException');
  });

  it('with a pinned region, lists the profiles that route from it, ARNs in that region', async () => {
    const eu = await startEmulator({ port: 0, region: 'eu-west-1' });
    const euClient = new BedrockClient({
      endpoint: eu.url,
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    try {
      const out = await euClient.send(new ListInferenceProfilesCommand({}));
      const prefixes = new Set((out.inferenceProfileSummaries ?? []).map((p) => p.inferenceProfileId?.split('.')[0]));
      expect([...prefixes].sort()).toEqual(['eu', 'global']);
      expect(
        out.inferenceProfileSummaries?.every((p) => p.inferenceProfileArn?.startsWith('arn:aws:bedrock:eu-west-1:')),
      ).toBe(true);
    } finally {
      euClient.destroy();
      await eu.close();
    }
  });
});
