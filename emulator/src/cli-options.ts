/**
 * The emulator's command-line flags and environment variables that are not in the config file's port/host
 * pair (docs/emulator.md, "Options"): batch timing and record minimum, and an external S3 for batch jobs.
 * Flags win over environment variables, which win over the config file.
 */

import { EmulatorConfigError } from './config.js';
import type { EmulatorOptions } from './options.js';

/** Flag names `aigw emulator` accepts besides `--port`, `--host` and `--config` (all take a value). */
export const EMULATOR_CLI_FLAGS = [
  'batch-step-ms',
  'batch-min-records',
  's3-endpoint',
  's3-region',
  's3-max-bytes',
  's3-dir',
] as const;

/** Environment variables read for the same settings. */
export const EMULATOR_ENV = {
  'batch-step-ms': 'AIGW_EMULATOR_BATCH_STEP_MS',
  'batch-min-records': 'AIGW_EMULATOR_BATCH_MIN_RECORDS',
  's3-endpoint': 'AIGW_EMULATOR_S3_ENDPOINT',
  's3-region': 'AIGW_EMULATOR_S3_REGION',
  's3-max-bytes': 'AIGW_EMULATOR_S3_MAX_BYTES',
  's3-dir': 'AIGW_EMULATOR_S3_DIR',
} as const;

function wholeNumber(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw new EmulatorConfigError(`${name} must be a whole number >= 0`);
  return Number(value);
}

/**
 * Merges flag values (and their environment fallbacks) over options from a config file. The external S3's
 * keys come only from the environment (`AIGW_EMULATOR_S3_ACCESS_KEY_ID`, `AIGW_EMULATOR_S3_SECRET_ACCESS_KEY`,
 * optional `AIGW_EMULATOR_S3_SESSION_TOKEN`), never from the command line, so they stay out of process lists.
 */
export function applyEmulatorCliOptions(
  base: EmulatorOptions,
  flags: Partial<Record<(typeof EMULATOR_CLI_FLAGS)[number], string | undefined>>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): EmulatorOptions {
  const value = (name: (typeof EMULATOR_CLI_FLAGS)[number]) => flags[name] ?? env[EMULATOR_ENV[name]];
  const batch = { ...base.batch };
  const s3 = { ...base.s3 };
  const stepMs = value('batch-step-ms');
  if (stepMs !== undefined) batch.stepMs = wholeNumber(stepMs, '--batch-step-ms');
  const minRecords = value('batch-min-records');
  if (minRecords !== undefined) batch.minRecords = wholeNumber(minRecords, '--batch-min-records');
  const maxBytes = value('s3-max-bytes');
  if (maxBytes !== undefined) s3.maxBytes = wholeNumber(maxBytes, '--s3-max-bytes');
  const dir = value('s3-dir');
  if (dir !== undefined) s3.dir = dir;
  const endpoint = value('s3-endpoint');
  if (endpoint !== undefined) {
    if (!/^https?:\/\/[^\s/]+/.test(endpoint)) throw new EmulatorConfigError('--s3-endpoint must be an http(s) URL');
    const accessKeyId = env.AIGW_EMULATOR_S3_ACCESS_KEY_ID;
    const secretAccessKey = env.AIGW_EMULATOR_S3_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new EmulatorConfigError(
        '--s3-endpoint needs AIGW_EMULATOR_S3_ACCESS_KEY_ID and AIGW_EMULATOR_S3_SECRET_ACCESS_KEY in the environment',
      );
    }
    const region = value('s3-region');
    const sessionToken = env.AIGW_EMULATOR_S3_SESSION_TOKEN;
    batch.s3 = {
      endpoint,
      accessKeyId,
      secretAccessKey,
      ...(region ? { region } : {}),
      ...(sessionToken ? { sessionToken } : {}),
    };
  }
  return { ...base, batch, s3 };
}
