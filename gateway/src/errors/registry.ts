/**
 * The one registry of gateway errors. Every error a caller can see has a stable code here with its
 * HTTP status and OpenAI error `type`; throw sites import the named constructors below instead of
 * writing free-text errors. Codes are what OpenAI SDKs surface as `error.code`.
 */

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'
  | 'timeout_error'
  | 'api_error';

export interface ErrorSpec {
  readonly status: number;
  readonly type: OpenAIErrorType;
}

export const ERROR_CODES = {
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_request: { status: 400, type: 'invalid_request_error' },
  missing_required_parameter: { status: 400, type: 'invalid_request_error' },
  invalid_type: { status: 400, type: 'invalid_request_error' },
  invalid_value: { status: 400, type: 'invalid_request_error' },
  unsupported_parameter: { status: 400, type: 'invalid_request_error' },
  unsupported_value: { status: 400, type: 'invalid_request_error' },
  context_length_exceeded: { status: 400, type: 'invalid_request_error' },
  request_too_large: { status: 413, type: 'invalid_request_error' },
  uri_too_long: { status: 414, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  invalid_api_key: { status: 401, type: 'authentication_error' },
  missing_api_key: { status: 401, type: 'authentication_error' },
  model_access_denied: { status: 403, type: 'permission_error' },
  upstream_access_denied: { status: 403, type: 'permission_error' },
  /** The caller is not a collaborator of the account it named (files and batches). */
  account_access_denied: { status: 403, type: 'permission_error' },
  model_not_found: { status: 404, type: 'invalid_request_error' },
  not_found: { status: 404, type: 'not_found_error' },
  unsupported_endpoint: { status: 404, type: 'invalid_request_error' },
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  expectation_failed: { status: 417, type: 'invalid_request_error' },
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error' },
  model_timeout: { status: 408, type: 'timeout_error' },
  upstream_timeout: { status: 504, type: 'timeout_error' },
  upstream_error: { status: 502, type: 'api_error' },
  upstream_unavailable: { status: 503, type: 'api_error' },
  model_not_ready: { status: 503, type: 'api_error' },
  upstream_credentials_unavailable: { status: 502, type: 'api_error' },
  client_closed_request: { status: 499, type: 'api_error' },
  shutting_down: { status: 503, type: 'api_error' },
  /** The gateway's own bounded work queue (image decoding) is full; retry after `Retry-After`. */
  server_overloaded: { status: 503, type: 'server_error' },
  internal_error: { status: 500, type: 'server_error' },
  /** Bedrock's moderation withheld every requested image (Nova/Titan `error`, Stability `finish_reasons`). */
  content_policy_violation: { status: 400, type: 'invalid_request_error' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Most characters of a caller's value an error message repeats (see {@link echo}). */
export const MAX_ECHO_LENGTH = 256;
/** Longest error message written; longer ones are cut (a backstop for a quote that skipped echo()). */
export const MAX_MESSAGE_LENGTH = 4096;

/** The OpenAI error envelope, the only error body the gateway ever writes. */
export interface OpenAIErrorBody {
  error: { message: string; type: OpenAIErrorType; param: string | null; code: string };
}

export interface GatewayErrorOptions {
  param?: string | null;
  /** Seconds a client should wait before retrying (sets Retry-After). */
  retryAfterSeconds?: number;
  /** Whether the upstream call that produced this may be retried by the gateway. */
  retryable?: boolean;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: OpenAIErrorType;
  readonly param: string | null;
  readonly retryAfterSeconds: number | undefined;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.type = ERROR_CODES[code].type;
    this.param = options.param ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.retryable = options.retryable ?? false;
  }

  toBody(): OpenAIErrorBody {
    // Backstop behind echo(): no message or param, whatever a throw site quoted, grows an error body
    // past a few KiB.
    const message = this.message.length > MAX_MESSAGE_LENGTH ? echo(this.message, MAX_MESSAGE_LENGTH) : this.message;
    const param = this.param !== null && this.param.length > MAX_ECHO_LENGTH ? echo(this.param) : this.param;
    return { error: { message, type: this.type, param, code: this.code } };
  }
}

/**
 * A caller-supplied value as an error message repeats it: at most {@link MAX_ECHO_LENGTH} characters,
 * longer values cut with an ellipsis and their real length, so a 1 MB model name cannot become a 1 MB
 * error body (or log line). Every message that quotes what the caller sent goes through this.
 */
export function echo(value: unknown, max: number = MAX_ECHO_LENGTH): string {
  const text = typeof value === 'string' ? value : String(value);
  if (text.length <= max) return text;
  // Cut on a code-point boundary so no lone surrogate ends the excerpt.
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}

/**
 * A duration for a message: whole milliseconds below a second, else seconds with at most one decimal
 * (`450 ms`, `1.5 s`, `300 s`). Deadlines are computed from clock readings, so raw values carry noise
 * such as 450.3562259999999 that no reader wants to see.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'an unknown time';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 100) / 10;
  return `${seconds} s`;
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

// Named constructors for the common cases, so throw sites read as intent.
export const invalidRequest = (message: string, param?: string) =>
  new GatewayError('invalid_request', message, { param: param ?? null });
export const invalidValue = (message: string, param: string) => new GatewayError('invalid_value', message, { param });
export const invalidType = (param: string, expected: string) =>
  new GatewayError('invalid_type', `Invalid type for '${param}': expected ${expected}.`, { param });
export const missingParameter = (param: string) =>
  new GatewayError('missing_required_parameter', `Missing required parameter: '${param}'.`, { param });
export const unsupportedParameter = (param: string, why: string) =>
  new GatewayError('unsupported_parameter', `Unsupported parameter: '${param}' ${why}`, { param });
export const unsupportedValue = (param: string, why: string) =>
  new GatewayError('unsupported_value', `Unsupported value for '${param}': ${why}`, { param });
export const modelNotFound = (model: string) =>
  new GatewayError('model_not_found', `The model '${echo(model)}' does not exist or you do not have access to it.`, {
    param: 'model',
  });
export const internalError = (message = 'The gateway failed to process the request.') =>
  new GatewayError('internal_error', message);
