import { BedrockClient, GetFoundationModelCommand, ListFoundationModelsCommand } from '@aws-sdk/client-bedrock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../src/index.js';

const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

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

describe('control plane: foundation models', () => {
  it('ListFoundationModels lists the catalog and filters by output modality', async () => {
    const all = await client.send(new ListFoundationModelsCommand({}));
    expect(all.modelSummaries?.some((m) => m.modelId === 'amazon.nova-pro-v1:0')).toBe(true);
    const embeddings = await client.send(new ListFoundationModelsCommand({ byOutputModality: 'EMBEDDING' }));
    expect(embeddings.modelSummaries?.map((m) => m.modelId).sort()).toEqual([
      'amazon.titan-embed-image-v1',
      'amazon.titan-embed-text-v1',
      'amazon.titan-embed-text-v2:0',
      'cohere.embed-english-v3',
      'cohere.embed-multilingual-v3',
    ]);
    const sonnet = all.modelSummaries?.find((m) => m.modelId === 'anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(sonnet).toMatchObject({
      providerName: 'Anthropic',
      inferenceTypesSupported: ['INFERENCE_PROFILE'],
      modelArn: 'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0',
    });
  });

  it('GetFoundationModel answers known ids and rejects unknown ones', async () => {
    const out = await client.send(new GetFoundationModelCommand({ modelIdentifier: 'amazon.nova-lite-v1:0' }));
    expect(out.modelDetails?.inputModalities).toEqual(['TEXT', 'IMAGE']);
    await expect(client.send(new GetFoundationModelCommand({ modelIdentifier: 'nope.x-v1:0' }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'The provided model identifier is invalid.',
    });
  });

  it('accepts a Bedrock API key and rejects a bad one like the runtime', async () => {
    const ok = await fetch(`${emu.url}/foundation-models?byOutputModality=TEXT`, {
      headers: { authorization: 'Bearer ABSKRW11bGF0b3JEZW1vS2V5' },
    });
    expect(ok.status).toBe(200);
    const bad = await fetch(`${emu.url}/foundation-models`, { headers: { authorization: 'Bearer ABSKwrong' } });
    expect(bad.status).toBe(403);
    expect(await bad.json()).toEqual({ Message: 'Authentication failed: Please make sure your API Key is valid.' });
  });

  it('unknown control-plane paths are UnknownOperationException', async () => {
    const response = await fetch(`${emu.url}/model-customization-jobs`, {
      headers: { authorization: 'Bearer ABSKRW11bGF0b3JEZW1vS2V5' },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')?.split(':')[0]).toBe('UnknownOperationException');
  });
});
