/**
 * The one place that turns anything thrown while serving a request into the OpenAI error envelope.
 * GatewayErrors carry their own status and code; fastify's own request errors (body limit, JSON
 * syntax, content type) are mapped to registry codes; everything else is a 500 that hides internals.
 */
import { echo, GatewayError } from '../errors/index.js';

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}

/** Maps a thrown value to a GatewayError; `internal` is true when the cause must be logged, not shown. */
export function toGatewayError(
  err: unknown,
  context: { bodyLimitBytes: number },
): { error: GatewayError; internal: boolean } {
  if (err instanceof GatewayError) return { error: err, internal: false };
  const e = (typeof err === 'object' && err !== null ? err : {}) as FastifyLikeError;
  const code = typeof e.code === 'string' ? e.code : undefined;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        error: new GatewayError(
          'request_too_large',
          `The request body is larger than the gateway's limit of ${formatBytes(context.bodyLimitBytes)}.`,
        ),
        internal: false,
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        error: new GatewayError('invalid_json', 'The request body is empty; expected a JSON object.'),
        internal: false,
      };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { error: invalidJson(e.message), internal: false };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        error: new GatewayError(
          'unsupported_media_type',
          "Unsupported Content-Type. Send the request body as JSON with 'Content-Type: application/json'.",
        ),
        internal: false,
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        error: new GatewayError('invalid_request', 'The Content-Length header does not match the request body.'),
        internal: false,
      };
    case 'FST_ERR_BAD_URL':
      return {
        error: new GatewayError('invalid_request', 'The request URL is malformed (an invalid percent-encoding).'),
        internal: false,
      };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        error: new GatewayError('uri_too_long', 'A segment of the request URL is longer than the gateway accepts.'),
        internal: false,
      };
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_MP_PREMATURE_CLOSE':
    case 'FST_INVALID_JSON_FIELD_ERROR':
    case 'FST_PROTO_VIOLATION':
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
    case 'FST_REQ_FILE_TOO_LARGE':
      // A multipart route maps these with its own limits; one that does not still answers 400.
      return {
        error: new GatewayError('invalid_request', 'The multipart form data is malformed, incomplete or over a limit.'),
        internal: false,
      };
  }
  // secure-json-parse (fastify's JSON parser) throws SyntaxErrors with statusCode 400, including for
  // `__proto__` / `constructor.prototype` keys it refuses.
  if (err instanceof SyntaxError && e.statusCode === 400) return { error: invalidJson(e.message), internal: false };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 && typeof e.message === 'string') {
    // Other framework-level client errors: their messages describe the request, not the server.
    return { error: new GatewayError('invalid_request', echo(e.message)), internal: false };
  }
  return { error: new GatewayError('internal_error', 'The gateway failed to process the request.'), internal: true };
}

function invalidJson(detail: unknown): GatewayError {
  const reason =
    typeof detail === 'string' && detail.length < 200
      ? ` (${detail.replace(/^Body is not valid JSON but content-type is set to 'application\/json'/, 'not valid JSON')})`
      : '';
  return new GatewayError(
    'invalid_json',
    `We could not parse the JSON body of your request${reason}. The OpenAI API expects a JSON payload.`,
  );
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
