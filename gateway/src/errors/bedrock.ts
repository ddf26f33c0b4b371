/**
 * The one table from Bedrock exceptions to gateway errors (bedrock-wire.md §8, openai-to-bedrock.md §3).
 *
 * Bedrock reports errors two ways: as an HTTP status with a JSON body before a response starts, and as
 * `exception` frames inside an event stream once a 200 stream has begun (§4/§5). Both land here so a
 * throttle looks the same to a caller whether it arrived as a 429 or as a `throttlingException` frame.
 */
import { type ErrorCode, GatewayError } from './registry.js';

/** How one Bedrock exception surfaces to callers. */
export interface BedrockExceptionRule {
  readonly code: ErrorCode;
  /** Whether the gateway may retry the call that produced it (only before anything reached the caller). */
  readonly retryable: boolean;
}

/**
 * Bedrock exception name (as in `x-amzn-ErrorType`, PascalCase) → gateway error. Stream exception
 * frames use the lower-camel member names (`throttlingException`); {@link bedrockExceptionRule}
 * normalises them onto this table.
 */
export const BEDROCK_EXCEPTIONS: Readonly<Record<string, BedrockExceptionRule>> = {
  ValidationException: { code: 'invalid_request', retryable: false },
  // Front-door auth failures (§8): the gateway's own upstream credentials were refused, not the caller's.
  AccessDeniedException: { code: 'upstream_access_denied', retryable: false },
  UnrecognizedClientException: { code: 'upstream_access_denied', retryable: false },
  InvalidSignatureException: { code: 'upstream_access_denied', retryable: false },
  ExpiredTokenException: { code: 'upstream_access_denied', retryable: false },
  MissingAuthenticationTokenException: { code: 'upstream_access_denied', retryable: false },
  IncompleteSignatureException: { code: 'upstream_access_denied', retryable: false },
  ResourceNotFoundException: { code: 'model_not_found', retryable: false },
  ThrottlingException: { code: 'rate_limit_exceeded', retryable: true },
  // A quota (e.g. tokens per day) does not clear within a retry window; the SDKs do not retry it either.
  ServiceQuotaExceededException: { code: 'rate_limit_exceeded', retryable: false },
  // The SDKs retry ModelNotReady (up to 5 times): the model is being loaded and becomes ready shortly.
  ModelNotReadyException: { code: 'model_not_ready', retryable: true },
  ModelTimeoutException: { code: 'model_timeout', retryable: false },
  ModelErrorException: { code: 'upstream_error', retryable: false },
  ModelStreamErrorException: { code: 'upstream_error', retryable: false },
  InternalServerException: { code: 'upstream_error', retryable: true },
  ServiceUnavailableException: { code: 'upstream_unavailable', retryable: true },
  ConflictException: { code: 'invalid_request', retryable: false },
};

/** The rule for an exception name in either spelling (`ThrottlingException` or `throttlingException`). */
export function bedrockExceptionRule(name: string): BedrockExceptionRule | undefined {
  if (name.length === 0) return undefined;
  const pascal = name[0]!.toUpperCase() + name.slice(1);
  return BEDROCK_EXCEPTIONS[pascal];
}

/**
 * The exception name of an error response, parsed as botocore / the JS SDK do: the `x-amzn-ErrorType`
 * header, else the body's `code` / `__type`; anything after the first `:` (a namespace URL) and before
 * the last `#` (a shape namespace) is dropped.
 */
export function parseBedrockErrorType(headerValue: string | undefined, body: unknown): string | undefined {
  let raw = headerValue;
  if (!raw && isRecord(body)) {
    const candidate = body.code ?? body.__type ?? body.Code;
    if (typeof candidate === 'string') raw = candidate;
  }
  if (!raw) return undefined;
  const colon = raw.indexOf(':');
  if (colon >= 0) raw = raw.slice(0, colon);
  const hash = raw.lastIndexOf('#');
  if (hash >= 0) raw = raw.slice(hash + 1);
  raw = raw.trim();
  return raw.length > 0 ? raw : undefined;
}

/** An error response from Bedrock, as received (before a stream started). */
export interface BedrockHttpErrorInput {
  status: number;
  /** The `x-amzn-ErrorType` header. */
  errorType?: string | undefined;
  /** The response body: parsed JSON, or raw bytes / text when it was not JSON. */
  body?: unknown;
  /** Seconds from a `Retry-After` header, when Bedrock (or a proxy in front of it) sent one. */
  retryAfterSeconds?: number | undefined;
}

/**
 * Seconds suggested to callers on a throttle when Bedrock gives no `Retry-After` (it normally does
 * not): one second keeps OpenAI SDKs, which honour the header, from hammering a throttled model.
 */
export const DEFAULT_THROTTLE_RETRY_AFTER_SECONDS = 1;

/** Maps a Bedrock HTTP error response to the gateway error a caller sees. */
export function fromBedrockHttpError(input: BedrockHttpErrorInput): GatewayError {
  const body = normaliseBody(input.body);
  const name = parseBedrockErrorType(input.errorType, body);
  const rule = (name ? bedrockExceptionRule(name) : undefined) ?? ruleForStatus(input.status);
  const message = bedrockMessage(body) ?? `Bedrock returned HTTP ${input.status}${name ? ` (${name})` : ''}.`;
  return buildError(rule, name, message, input.retryAfterSeconds, input.status);
}

/**
 * Maps an `exception` frame of an event stream (`:exception-type` + JSON payload) to a gateway error.
 * Once events have reached the caller nothing may be retried; an exception that is the stream's very
 * first frame (`firstFrame`) reached nobody yet, so it keeps the exception's own retryability.
 */
export function fromBedrockStreamException(
  exceptionType: string,
  payload: unknown,
  options: { firstFrame?: boolean } = {},
): GatewayError {
  const rule = bedrockExceptionRule(exceptionType) ?? { code: 'upstream_error', retryable: false };
  let message = bedrockMessage(payload) ?? `Bedrock stream failed with ${exceptionType}.`;
  // modelStreamErrorException carries what the model itself returned (§4).
  if (isRecord(payload) && typeof payload.originalMessage === 'string' && payload.originalMessage !== message) {
    const status = typeof payload.originalStatusCode === 'number' ? ` (status ${payload.originalStatusCode})` : '';
    message = `${message} Model error${status}: ${redactSecrets(payload.originalMessage)}`;
  }
  const retryable = options.firstFrame === true && rule.retryable;
  return buildError({ code: rule.code, retryable }, exceptionType, message, undefined, undefined);
}

/** Maps an `error` frame (`:message-type: error`, a failure outside the service model, §5). */
export function fromBedrockStreamErrorFrame(
  errorCode: string | undefined,
  errorMessage: string | undefined,
): GatewayError {
  const text = errorMessage ? redactSecrets(errorMessage) : 'Bedrock stream failed.';
  return new GatewayError('upstream_error', errorCode ? `${errorCode}: ${text}` : text);
}

// -------------------------------------------------------------------------------------------------

// Bedrock's (and the models') wordings for prompts beyond the context window; LiteLLM matches the
// same family of texts (openai-to-bedrock.md §3.1).
const CONTEXT_LENGTH_RE =
  /input is too long|prompt is too long|too many input tokens|expected maxlength|maximum context length|context window|input length .*exceeds|exceeds? the maximum (?:number of )?(?:input )?tokens/i;
// "Invocation of model ID X with on-demand throughput isn’t supported" (§1, typographic apostrophe).
const ON_DEMAND_RE = /on-demand throughput isn.t supported/i;

function buildError(
  rule: BedrockExceptionRule,
  name: string | undefined,
  rawMessage: string,
  retryAfterSeconds: number | undefined,
  status: number | undefined,
): GatewayError {
  let code = rule.code;
  let message = redactSecrets(rawMessage);
  const isValidation = name === 'ValidationException' || name === 'validationException';
  if (isValidation && CONTEXT_LENGTH_RE.test(message)) code = 'context_length_exceeded';
  if (isValidation && ON_DEMAND_RE.test(message)) {
    message += ' Configure the Model with an inference profile id (e.g. `us.` or `global.` + the model id) instead.';
  }
  if (name === 'InvalidSignatureException') {
    // Bedrock appends the canonical request and string-to-sign it expected: gateway internals, not for callers.
    const cut = message.search(/\s*The Canonical String|\s*The String-to-Sign/);
    if (cut > 0) message = message.slice(0, cut);
  }
  if (code === 'model_not_found' && !/model|profile/i.test(message)) code = 'not_found';
  let retryAfter = retryAfterSeconds;
  if (code === 'rate_limit_exceeded' && retryAfter === undefined) retryAfter = DEFAULT_THROTTLE_RETRY_AFTER_SECONDS;
  const retryable = rule.retryable || (name === undefined && status !== undefined && isRetryableStatus(status));
  const error = new GatewayError(code, message, {
    retryable,
    ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
    ...(code === 'model_not_found' ? { param: 'model' } : {}),
  });
  const known = name === undefined ? undefined : knownExceptionName(name);
  exceptionNames.set(error, known ?? (status !== undefined ? `http_${status}` : 'other'));
  return error;
}

// Which Bedrock exception produced an error, for the upstream-health metrics (kept beside the error rather
// than on it: callers never see the name, and GatewayError stays the registry's plain shape).
const exceptionNames = new WeakMap<GatewayError, string>();

/** `ThrottlingException` for either spelling of a name in {@link BEDROCK_EXCEPTIONS}, else undefined. */
function knownExceptionName(name: string): string | undefined {
  const pascal = name.length > 0 ? name[0]!.toUpperCase() + name.slice(1) : name;
  return Object.hasOwn(BEDROCK_EXCEPTIONS, pascal) ? pascal : undefined;
}

/**
 * The Bedrock exception behind an error mapped here: its name from {@link BEDROCK_EXCEPTIONS}
 * (`ThrottlingException`, ...), `http_<status>` for an error response without a known name, `other` for an
 * unknown stream exception; undefined for errors that did not come from a Bedrock answer. Values are
 * bounded (metric labels).
 */
export function bedrockExceptionOf(error: GatewayError): string | undefined {
  return exceptionNames.get(error);
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** For responses without a recognisable exception name (proxies, load balancers, bearer 403 bodies). */
function ruleForStatus(status: number): BedrockExceptionRule {
  if (status === 400 || status === 422) return { code: 'invalid_request', retryable: false };
  if (status === 401 || status === 403) return { code: 'upstream_access_denied', retryable: false };
  if (status === 404) return { code: 'not_found', retryable: false };
  if (status === 408) return { code: 'model_timeout', retryable: false };
  if (status === 413) return { code: 'request_too_large', retryable: false };
  if (status === 429) return { code: 'rate_limit_exceeded', retryable: true };
  if (status === 503) return { code: 'upstream_unavailable', retryable: true };
  if (status === 504) return { code: 'upstream_timeout', retryable: true };
  return { code: 'upstream_error', retryable: status >= 500 };
}

function normaliseBody(body: unknown): unknown {
  if (body instanceof Uint8Array) body = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (typeof body === 'string') {
    const text = body.trim();
    if (text.startsWith('{')) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
    }
    // Non-JSON bodies (HTML from a proxy) are not echoed: they can carry internals of the network path.
    return undefined;
  }
  return body;
}

function bedrockMessage(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  // rest-json uses `message`; bearer-key 403s and some front-door errors use `Message` (§8).
  const message = body.message ?? body.Message;
  return typeof message === 'string' && message.length > 0 ? message : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Access key ids (AKIA/ASIA…), SigV4 fragments, bearer keys (long-term `ABSK…`, short-term
// `bedrock-api-key-…`) and session tokens must never reach a caller, whatever Bedrock echoes.
const SECRET_PATTERNS: readonly RegExp[] = [
  /\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b/g,
  /Signature=[0-9a-f]{16,}/gi,
  /Credential=[^\s,]+/gi,
  /X-Amz-Security-Token=[^\s&,]+/gi,
  /bedrock-api-key-[A-Za-z0-9+/=_-]+/g,
  /\bABSK[A-Za-z0-9+/=]{8,}/g,
  /\b[A-Za-z0-9+/]{100,}={0,2}/g,
];

/** Removes anything that looks like credential material from an upstream message. */
export function redactSecrets(message: string): string {
  let out = message;
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, '[redacted]');
  return out;
}
