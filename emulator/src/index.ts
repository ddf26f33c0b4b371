/**
 * The aigateway Bedrock emulator: Bedrock runtime, control plane (batch inference included), STS and a
 * path-style S3 subset on one port, HTTP/1.1 and h2c. `startEmulator` is what `aigw emulator` and the tests call.
 */

import { writeFile } from 'node:fs/promises';
import { DEFAULT_HOST, DEFAULT_PORT, type EmulatorOptions } from './options.js';
import { createRequestListener } from './server.js';
import { EmulatorState } from './state.js';
import { createTlsMaterial } from './tls.js';
import { type DualServer, listenDual, listenTls } from './transport.js';

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
export { createTlsMaterial, TLS_CERTIFICATE_VALIDITY_DAYS, type TlsMaterial } from './tls.js';
export { CHARS_PER_TOKEN, countTokens, IMAGE_TOKENS } from './tokens.js';

/** The TLS listener of a running emulator (`tlsPort`). */
export interface RunningTlsListener {
  /** Base URL, e.g. `https://127.0.0.1:4567`. */
  readonly url: string;
  readonly port: number;
  /** PEM of the CA that signed the listener's certificate: what clients must trust. */
  readonly caCertificate: string;
}

/** A running emulator. */
export interface RunningEmulator {
  /** Base URL, e.g. `http://127.0.0.1:4566`. */
  readonly url: string;
  readonly port: number;
  /** The HTTPS listener, when `tlsPort` was given. */
  readonly tls: RunningTlsListener | undefined;
  /** Live state: statistics, faults, latency, the clock (`state.clock.advance(ms)`), issued credentials. */
  readonly state: EmulatorState;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Starts the emulator (default 127.0.0.1:4566; `port: 0` picks a free port), plus an HTTPS listener on
 * `tlsPort` when given.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const state = new EmulatorState(options);
  const host = options.host ?? DEFAULT_HOST;
  const listener = createRequestListener(state);
  const server = await listenDual(listener, options.port ?? DEFAULT_PORT, host);
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  let tls: RunningTlsListener | undefined;
  let tlsServer: DualServer | undefined;
  if (options.tlsPort !== undefined) {
    try {
      const material = createTlsMaterial([host]);
      if (options.tlsCaFile !== undefined) await writeFile(options.tlsCaFile, material.caCertificate);
      tlsServer = await listenTls(listener, options.tlsPort, host, {
        cert: material.certificate,
        key: material.privateKey,
      });
      tls = {
        url: `https://${urlHost}:${tlsServer.port}`,
        port: tlsServer.port,
        caCertificate: material.caCertificate,
      };
    } catch (error) {
      await server.close();
      throw error;
    }
  }
  return {
    url: `http://${urlHost}:${server.port}`,
    port: server.port,
    tls,
    state,
    close: async () => {
      state.batch.close();
      await Promise.all([server.close(), tlsServer?.close()]);
    },
  };
}
export { applyEmulatorCliOptions, EMULATOR_CLI_FLAGS, EMULATOR_ENV } from './cli-options.js';
export { EmulatorConfigError, loadEmulatorConfig, parseEmulatorConfig } from './config.js';
