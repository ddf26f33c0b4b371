/**
 * Fault injection (`POST /_emulator/faults`, docs/emulator.md "Faults"): throttling, 5xx, model
 * timeout, added latency, a stream that fails after N events, a dropped connection. Each fault can be
 * limited to one model and to a number of requests.
 */

import { BedrockException, validationException } from './errors.js';
import type { EmulatorState } from './state.js';

export type FaultType = 'throttle' | 'error' | 'timeout' | 'latency' | 'stream-error' | 'drop';

/** One injected fault. */
export interface Fault {
  type: FaultType;
  /** Only requests for this model id (as sent, or its foundation id). */
  model?: string;
  /** Only this operation (Converse, ConverseStream, InvokeModel, InvokeModelWithResponseStream, CountTokens). */
  operation?: string;
  /** Requests left to fault; absent = every matching request until cleared. */
  count?: number;
  /** `error`: 500 (InternalServerException, default) or 503 (ServiceUnavailableException). */
  status?: number;
  /** `latency`: milliseconds added. */
  latencyMs?: number;
  /** `stream-error`: events sent before the exception event (default 2). */
  afterEvents?: number;
  /** `stream-error`: exception event member (default `internalServerException`). */
  exception?: string;
  /** Overrides the error message. */
  message?: string;
  /** `throttle` / `error`: a `Retry-After` header (seconds) on the response; Bedrock itself sends none. */
  retryAfterSeconds?: number;
}

const TYPES: readonly FaultType[] = ['throttle', 'error', 'timeout', 'latency', 'stream-error', 'drop'];
const STREAM_EXCEPTIONS = [
  'internalServerException',
  'modelStreamErrorException',
  'validationException',
  'throttlingException',
  'serviceUnavailableException',
  'modelTimeoutException',
];
const STREAM_OPERATIONS = ['ConverseStream', 'InvokeModelWithResponseStream'];
const RUNTIME_OPERATIONS = [
  'Converse',
  'ConverseStream',
  'InvokeModel',
  'InvokeModelWithResponseStream',
  'CountTokens',
];
/** STS actions (and the container-credentials endpoint) that faults can name. */
export const STS_OPERATIONS = ['AssumeRole', 'AssumeRoleWithWebIdentity', 'GetCallerIdentity', 'ContainerCredentials'];

/** Parses the JSON of `POST /_emulator/faults`: one fault, a list, or `{"faults": [...]}`. */
export function parseFaults(body: unknown): Fault[] {
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' && body !== null && Array.isArray((body as { faults?: unknown }).faults)
      ? (body as { faults: unknown[] }).faults
      : [body];
  return list.map((item) => {
    if (typeof item !== 'object' || item === null) throw validationException('A fault must be a JSON object.');
    const f = item as Record<string, unknown>;
    if (!TYPES.includes(f.type as FaultType)) {
      throw validationException(`Fault type must be one of: ${TYPES.join(', ')}.`);
    }
    const fault: Fault = { type: f.type as FaultType };
    // A misspelt operation or a bad count would otherwise be dropped silently, leaving a fault that
    // never fires or one that never stops; refuse them instead.
    if (f.model !== undefined) {
      if (typeof f.model !== 'string' || f.model === '') throw validationException('A fault model is a model id.');
      fault.model = f.model;
    }
    if (f.operation !== undefined) {
      const operations = [...RUNTIME_OPERATIONS, ...STS_OPERATIONS];
      if (typeof f.operation !== 'string' || !operations.includes(f.operation)) {
        throw validationException(`A fault operation is one of: ${operations.join(', ')}.`);
      }
      fault.operation = f.operation;
    }
    if (f.count !== undefined) {
      if (typeof f.count !== 'number' || !Number.isInteger(f.count) || f.count < 1) {
        throw validationException('A fault count is a whole number >= 1 (leave it out to fault until cleared).');
      }
      fault.count = f.count;
    }
    if (typeof f.message === 'string') fault.message = f.message;
    if (typeof f.retryAfterSeconds === 'number' && f.retryAfterSeconds >= 0)
      fault.retryAfterSeconds = f.retryAfterSeconds;
    if (fault.type === 'error') {
      const status = f.status ?? 500;
      if (status !== 500 && status !== 503) throw validationException('An error fault has status 500 or 503.');
      fault.status = status;
    }
    if (fault.type === 'latency') {
      if (typeof f.latencyMs !== 'number' || f.latencyMs < 0)
        throw validationException('A latency fault needs latencyMs >= 0.');
      fault.latencyMs = f.latencyMs;
    }
    if (fault.type === 'stream-error') {
      fault.afterEvents = typeof f.afterEvents === 'number' ? Math.max(0, Math.floor(f.afterEvents)) : 2;
      const exception = f.exception ?? 'internalServerException';
      if (typeof exception !== 'string' || !STREAM_EXCEPTIONS.includes(exception)) {
        throw validationException(`A stream-error fault's exception is one of: ${STREAM_EXCEPTIONS.join(', ')}.`);
      }
      fault.exception = exception;
    }
    return fault;
  });
}

/**
 * Takes the first fault that applies to this request (consuming one of its `count`), or undefined.
 * `stream-error` faults apply only to streaming operations.
 */
export function takeFault(state: EmulatorState, operation: string, modelIds: readonly string[]): Fault | undefined {
  const sts = STS_OPERATIONS.includes(operation);
  const index = state.faults.findIndex(
    (f) =>
      (f.model === undefined || modelIds.includes(f.model)) &&
      // STS calls are faulted only by faults that name their action, so runtime faults never hit STS.
      (sts ? f.operation === operation : f.operation === undefined || f.operation === operation) &&
      (f.type !== 'stream-error' || STREAM_OPERATIONS.includes(operation)),
  );
  const fault = state.faults[index];
  if (!fault) return undefined;
  if (fault.count !== undefined) {
    fault.count -= 1;
    if (fault.count <= 0) state.faults.splice(index, 1);
  }
  state.count('faultsInjected', fault.type);
  return fault;
}

/** The exception an error-type fault raises before any response byte. */
export function faultException(fault: Fault): BedrockException | undefined {
  switch (fault.type) {
    case 'throttle':
      return new BedrockException(
        'ThrottlingException',
        fault.message ?? 'Too many requests, please wait before trying again.',
        429,
      );
    case 'timeout':
      return new BedrockException(
        'ModelTimeoutException',
        fault.message ?? 'Model has timed out in processing the request. Try your request again.',
        408,
      );
    case 'error':
      return fault.status === 503
        ? new BedrockException(
            'ServiceUnavailableException',
            fault.message ?? 'Service is temporarily unavailable. Try again later.',
            503,
          )
        : new BedrockException(
            'InternalServerException',
            fault.message ?? 'The server encountered an internal error while processing the request.',
            500,
          );
    default:
      return undefined;
  }
}

/** Message of a stream exception event. */
export function streamFaultMessage(fault: Fault): string {
  return fault.message ?? 'The system encountered an unexpected error during processing. Try your request again.';
}
