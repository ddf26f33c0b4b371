/**
 * Failures of multipart parsing (@fastify/multipart over busboy) as 400s. Every way a caller's form can
 * be wrong must name the caller's mistake, never surface as a 500: busboy throws plain Errors without
 * codes, some of them synchronously while it is being set up from the Content-Type header.
 */
import { GatewayError } from '../errors/index.js';

/** RFC 2046 §5.1.1: a boundary is 1 to 70 characters. busboy itself breaks on boundaries over 256. */
export const MAX_MULTIPART_BOUNDARY_LENGTH = 70;

const BOUNDARY_RE = /;\s*boundary\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/i;

const malformed = () => new GatewayError('invalid_request', 'The multipart form data is malformed or incomplete.');

/**
 * Refuses a `multipart/form-data` Content-Type whose boundary is missing, empty or longer than RFC 2046
 * allows, before busboy is built from it.
 */
export function checkMultipartBoundary(contentType: string | undefined): void {
  const match = BOUNDARY_RE.exec(contentType ?? '');
  const boundary = match ? (match[1] ?? match[2] ?? '').trim() : '';
  if (boundary.length === 0)
    throw new GatewayError(
      'invalid_request',
      "The multipart Content-Type has no boundary; send 'Content-Type: multipart/form-data; boundary=...'.",
    );
  if (boundary.length > MAX_MULTIPART_BOUNDARY_LENGTH)
    throw new GatewayError(
      'invalid_request',
      `The multipart boundary is ${boundary.length} characters long; RFC 2046 allows at most ${MAX_MULTIPART_BOUNDARY_LENGTH}.`,
    );
}

/**
 * Maps an error raised while reading a multipart form to a 400. `limits` words the limit errors; every
 * other failure of the parser is "malformed or incomplete". Errors that are already GatewayErrors pass.
 */
export function multipartParseError(
  err: unknown,
  limits: { files: number; fileSizeBytes: number; fields: number; filesHint?: string },
): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'FST_FILES_LIMIT':
      return new GatewayError(
        'invalid_request',
        `Too many files: at most ${limits.files}${limits.filesHint ? ` (${limits.filesHint})` : ''}.`,
        { param: 'image' },
      );
    case 'FST_REQ_FILE_TOO_LARGE':
      return new GatewayError(
        'invalid_request',
        `An uploaded file is larger than ${limits.fileSizeBytes / (1024 * 1024)} MB.`,
        { param: 'image' },
      );
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new GatewayError('invalid_request', `Too many form fields: at most ${limits.fields}.`);
    case 'FST_PROTO_VIOLATION':
      return new GatewayError('invalid_request', 'A form field name is not allowed.');
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return new GatewayError(
        'invalid_request',
        'A form field declared as application/json does not hold valid JSON (or is too large).',
      );
    default:
      // FST_INVALID_MULTIPART_CONTENT_TYPE, FST_MP_PREMATURE_CLOSE, and busboy's uncoded errors ("Unexpected
      // end of multipart data", "Part terminated early", "Boundary not found", "The needle cannot have a
      // length bigger than 256", "Unsupported Content-Type"): all describe the caller's bytes.
      return malformed();
  }
}
