/**
 * End-to-end stacks: the Bedrock emulator on a free port and the gateway serving the examples (with the
 * emulator's endpoint), either in-process or as an `aigw serve` child process (for signals and
 * environment-dependent upstream auth).
 */
import OpenAI from 'openai';
import { pino } from 'pino';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../../emulator/src/index.js';
import { ManifestDirSource } from '../../gateway/src/config/index.js';
import { type GatewayOptions, type RunningGateway, startGateway } from '../../gateway/src/server/index.js';
import { type ConfigDir, DEMO_KEY, makeConfigDir } from './config-dir.js';

export interface Stack {
  readonly emulator: RunningEmulator;
  readonly gateway: RunningGateway;
  readonly config: ConfigDir;
  /** An openai SDK client for the gateway; SDK retries off so every status is what the gateway sent. */
  client(key?: string): OpenAI;
  close(): Promise<void>;
}

/** Fast upstream retries so fault tests take milliseconds, not seconds. */
export const TEST_UPSTREAM_OPTIONS = { retryBaseMs: 5, retryCapMs: 20, maxRetryAfterMs: 50 } as const;

export function openaiClient(baseURL: string, key = DEMO_KEY): OpenAI {
  return new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: key, maxRetries: 0, timeout: 20_000 });
}

/** Starts the emulator and an in-process gateway on free ports. */
export async function startStack(
  options: {
    emulator?: EmulatorOptions;
    extraFiles?: Record<string, string>;
    /** Point account endpoints here instead of at the emulator (e.g. a proxy in front of it). */
    endpointUrl?: (emulatorUrl: string) => Promise<string> | string;
    gateway?: Partial<GatewayOptions>;
  } = {},
): Promise<Stack> {
  const emulator = await startEmulator({ port: 0, ...options.emulator });
  const endpoint = options.endpointUrl ? await options.endpointUrl(emulator.url) : emulator.url;
  const config = await makeConfigDir({
    emulatorUrl: endpoint,
    ...(options.extraFiles ? { extraFiles: options.extraFiles } : {}),
  });
  let gateway: RunningGateway;
  try {
    gateway = await startGateway({
      source: new ManifestDirSource(config.dir),
      port: 0,
      adminPort: 0,
      logger: pino({ level: process.env.AIGW_TEST_LOG_LEVEL ?? 'silent' }),
      upstreamOptions: TEST_UPSTREAM_OPTIONS,
      mediaFetcher: null,
      watch: { pollIntervalMs: 200, debounceMs: 20 },
      ...options.gateway,
    });
  } catch (err) {
    await emulator.close();
    await config.remove();
    throw err;
  }
  return {
    emulator,
    gateway,
    config,
    client: (key) => openaiClient(gateway.url, key),
    async close() {
      await gateway.close();
      await emulator.close();
      await config.remove();
    },
  };
}

// The child-process helpers live apart so suites that only spawn processes do not load the gateway's
// sources into the test worker; re-exported here for the suites that import them from this module.
export { type ChildGateway, ensureBuilt, spawnGateway } from './cli-process.js';
