/**
 * Batch admin endpoints under `/_emulator/batch/` (docs/emulator.md, "Batch inference"): settings
 * (record minimum, step timing, ...), batch faults (fail, expire, hold) and a view of every job.
 */

import { parseJsonBody } from '../call.js';
import { BedrockException, validationException } from '../errors.js';
import type { BatchOptions } from '../options.js';
import { type RequestContext, sendJson } from '../reply.js';
import type { EmulatorState } from '../state.js';
import type { BatchFault } from './service.js';

const NUMBER_SETTINGS = [
  'stepMs',
  'recordDelayMs',
  'minRecords',
  'maxRecordsPerFile',
  'maxRecordsPerJob',
  'maxInputFileBytes',
  'maxJobInputBytes',
  'maxActiveJobsPerModel',
] as const;

/** Parses a settings change; unknown keys and bad values are refused. */
export function parseBatchSettings(body: unknown): Partial<BatchOptions> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw validationException('Expected a JSON object of batch settings.');
  const changes: Partial<BatchOptions> = {};
  for (const [key, value] of Object.entries(body)) {
    if ((NUMBER_SETTINGS as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
        throw validationException(`${key} must be a whole number >= 0.`);
      }
      changes[key as (typeof NUMBER_SETTINGS)[number]] = value;
    } else if (key === 'outputOrder') {
      if (value !== 'input' && value !== 'shuffled') throw validationException('outputOrder is input or shuffled.');
      changes.outputOrder = value;
    } else {
      throw validationException(
        `Unknown batch setting ${key}; settable: ${[...NUMBER_SETTINGS, 'outputOrder'].join(', ')}.`,
      );
    }
  }
  return changes;
}

/** Parses batch faults: one, a list, or `{"faults": [...]}`. */
export function parseBatchFaults(body: unknown): BatchFault[] {
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' && body !== null && Array.isArray((body as { faults?: unknown }).faults)
      ? (body as { faults: unknown[] }).faults
      : [body];
  return list.map((item) => {
    if (typeof item !== 'object' || item === null) throw validationException('A batch fault must be a JSON object.');
    const f = item as Record<string, unknown>;
    if (f.type !== 'fail' && f.type !== 'expire' && f.type !== 'hold') {
      throw validationException('A batch fault type is fail, expire or hold.');
    }
    const fault: BatchFault = { type: f.type };
    if (f.jobName !== undefined) {
      if (typeof f.jobName !== 'string' || f.jobName === '')
        throw validationException('jobName is the text a job name contains.');
      fault.jobName = f.jobName;
    }
    if (f.stage !== undefined) {
      if (f.type !== 'fail' || (f.stage !== 'Validating' && f.stage !== 'InProgress')) {
        throw validationException('stage (Validating or InProgress) applies to fail faults only.');
      }
      fault.stage = f.stage;
    }
    if (f.afterRecords !== undefined) {
      if (typeof f.afterRecords !== 'number' || !Number.isInteger(f.afterRecords) || f.afterRecords < 0) {
        throw validationException('afterRecords is a whole number >= 0.');
      }
      fault.afterRecords = f.afterRecords;
    }
    if (f.count !== undefined) {
      if (typeof f.count !== 'number' || !Number.isInteger(f.count) || f.count < 1) {
        throw validationException('A fault count is a whole number >= 1 (leave it out to fault until cleared).');
      }
      fault.count = f.count;
    }
    if (f.message !== undefined) {
      if (typeof f.message !== 'string') throw validationException('message is a string.');
      fault.message = f.message;
    }
    return fault;
  });
}

/**
 * Splits a `POST /_emulator/faults` body into runtime faults and batch faults (types `batch-fail`,
 * `batch-expire`, `batch-hold`, the same as `fail`/`expire`/`hold` on `/_emulator/batch/faults`), so one
 * request can set both; the batch ones are parsed (and refused when bad) here.
 */
export function splitFaults(body: unknown): { runtime: unknown[]; batch: BatchFault[] } {
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' && body !== null && Array.isArray((body as { faults?: unknown }).faults)
      ? (body as { faults: unknown[] }).faults
      : [body];
  const isBatch = (item: unknown) =>
    typeof item === 'object' && item !== null && String((item as { type?: unknown }).type).startsWith('batch-');
  const batch = parseBatchFaults(
    list
      .filter(isBatch)
      .map((item) => ({ ...(item as object), type: String((item as { type: string }).type).slice('batch-'.length) })),
  );
  return { runtime: list.filter((item) => !isBatch(item)), batch };
}

/** Handles `/_emulator/batch/*`; returns false when the path is not one of them. */
export function handleBatchAdmin(state: EmulatorState, ctx: RequestContext): boolean {
  const route = `${ctx.method} ${ctx.rawPath}`;
  switch (route) {
    case 'GET /_emulator/batch/config':
      sendJson(ctx, 200, publicConfig(state.batch.config));
      return true;
    case 'PUT /_emulator/batch/config':
      sendJson(ctx, 200, publicConfig(state.batch.configure(parseBatchSettings(parseJsonBody(ctx.body)))));
      return true;
    case 'GET /_emulator/batch/faults':
      sendJson(ctx, 200, { faults: state.batch.faults });
      return true;
    case 'POST /_emulator/batch/faults':
      state.batch.faults.push(...parseBatchFaults(parseJsonBody(ctx.body)));
      sendJson(ctx, 200, { faults: state.batch.faults });
      return true;
    case 'DELETE /_emulator/batch/faults':
      state.batch.clearFaults();
      sendJson(ctx, 200, { faults: [] });
      return true;
    case 'GET /_emulator/batch/jobs':
      sendJson(ctx, 200, { jobs: state.batch.allJobs().map((j) => state.batch.describe(j)) });
      return true;
    default:
      if (ctx.rawPath.startsWith('/_emulator/batch/')) {
        throw new BedrockException('ResourceNotFoundException', `No admin endpoint ${route}.`, 404);
      }
      return false;
  }
}

/** Settings without the external S3 secret. */
function publicConfig(config: BatchOptions): Record<string, unknown> {
  const { s3, ...rest } = config;
  return { ...rest, s3: s3 ? { endpoint: s3.endpoint, region: s3.region ?? 'us-east-1' } : 'builtin' };
}
