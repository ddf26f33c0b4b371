/**
 * The embeddings and images end-to-end stack: the Bedrock emulator, a gateway serving examples/ (plus
 * the extra Models below) against it, and an official openai SDK client pointed at the gateway.
 */
import OpenAI from 'openai';
import { pino } from 'pino';
import { type RunningEmulator, startEmulator } from '../../emulator/src/index.js';
import { ManifestDirSource } from '../../gateway/src/config/index.js';
import { type RunningGateway, startGateway } from '../../gateway/src/server/index.js';
import { type ConfigDir, DEMO_KEY, makeConfigDir, OUTSIDER_KEY_MANIFEST } from '../helpers/config-dir.js';

/** Models the examples do not ship, so every family and version is covered. */
const EXTRA_MODELS = [
  'amazon.titan-embed-text-v1',
  'cohere.embed-multilingual-v3',
  'amazon.titan-image-generator-v1',
  'stability.sd3-5-large-v1:0',
]
  .map(
    (id) => `apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: ${id.replace(/[.:]/g, '-')}, namespace: default }
spec: { account: demo, modelId: "${id}" }
`,
  )
  .join('---\n');

/** Served names (`demo/<Model name>`). */
export const MODELS = {
  titanV1: 'demo/amazon-titan-embed-text-v1',
  titanV2: 'demo/amazon-titan-embed-text-v2-0',
  cohereEnglish: 'demo/cohere-embed-english-v3',
  cohereMultilingual: 'demo/cohere-embed-multilingual-v3',
  novaCanvas: 'demo/amazon-nova-canvas-v1-0',
  titanImageV1: 'demo/amazon-titan-image-generator-v1',
  titanImageV2: 'demo/amazon-titan-image-generator-v2-0',
  stabilityCore: 'demo/stability-stable-image-core-v1-1',
  sd35: 'demo/stability-sd3-5-large-v1-0',
  chat: 'demo/amazon-nova-lite-v1-0',
} as const;

export interface Stack {
  emulator: RunningEmulator;
  gateway: RunningGateway;
  config: ConfigDir;
  client: OpenAI;
  close(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const emulator = await startEmulator({ port: 0 });
  const config = await makeConfigDir({
    emulatorUrl: emulator.url,
    extraFiles: { 'more-models.yaml': EXTRA_MODELS, 'outsider.yaml': OUTSIDER_KEY_MANIFEST },
  });
  const gateway = await startGateway({
    source: new ManifestDirSource(config.dir),
    port: 0,
    adminPort: null,
    logger: pino({ level: 'silent' }),
    mediaFetcher: null,
    watch: false,
  });
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: DEMO_KEY, maxRetries: 0 });
  return {
    emulator,
    gateway,
    config,
    client,
    async close() {
      await gateway.close();
      await emulator.close();
      await config.remove();
    },
  };
}
