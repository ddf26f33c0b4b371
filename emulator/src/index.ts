/**
 * The aigateway Bedrock emulator: Bedrock runtime, control plane (batch inference included), STS and a
 * path-style S3 subset on one port, HTTP/1.1 and h2c. `startEmulator` is what `aigw emulator` and the tests call.
 */

import { DEFAULT_HOST, DEFAULT_PORT, type EmulatorOptions } from './options.js';
import { createRequestListener } from './server.js';
import { EmulatorState } from './state.js';
import { listenDual } from './transport.js';

export { BATCH_MODELS, type BatchFault, type Job, type JobStatus } from './batch/index.js';
export { CATALOG, type CatalogModel, lookupModel, resolveModel } from './catalog.js';
export { CONTROL_PLANE_ROUTES, type ControlPlaneRoute } from './control-plane/index.js';
export { GUARDRAIL_MESSAGE, STOP_REASONS, type StopReason } from './converse/generate.js';
export { BedrockException, validationException } from './errors.js';
export type { Fault, FaultType } from './faults.js';
export {
  type BatchOptions,
  BUILTIN_IDENTITY,
  DEFAULT_BATCH_OPTIONS,
  DEFAULT_S3_OPTIONS,
  type EmulatorOptions,
  type ExternalS3,
  type IdentityApiKey,
  type IdentityConfig,
  type IdentityRole,
  type IdentityUser,
  type LatencyConfig,
  type S3Options,
} from './options.js';
export { ObjectStore, S3Error } from './s3/index.js';
export { EmulatorClock, EmulatorState, type EmulatorStats } from './state.js';
export { CHARS_PER_TOKEN, countTokens, IMAGE_TOKENS } from './tokens.js';

/** A running emulator. */
export interface RunningEmulator {
  /** Base URL, e.g. `http://127.0.0.1:4566`. */
  readonly url: string;
  readonly port: number;
  /** Live state: statistics, faults, latency, the clock (`state.clock.advance(ms)`), issued credentials. */
  readonly state: EmulatorState;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Starts the emulator (default 127.0.0.1:4566; `port: 0` picks a free port). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const state = new EmulatorState(options);
  const host = options.host ?? DEFAULT_HOST;
  const server = await listenDual(createRequestListener(state), options.port ?? DEFAULT_PORT, host);
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${urlHost}:${server.port}`,
    port: server.port,
    state,
    close: async () => {
      state.batch.close();
      await server.close();
    },
  };
}
export { applyEmulatorCliOptions, EMULATOR_CLI_FLAGS, EMULATOR_ENV } from './cli-options.js';
export { EmulatorConfigError, loadEmulatorConfig, parseEmulatorConfig } from './config.js';
