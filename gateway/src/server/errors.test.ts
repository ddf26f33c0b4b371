import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/index.js';
import { toGatewayError } from './errors.js';
import { checkMultipartBoundary, multipartParseError } from './multipart.js';

const fastifyError = (code: string, statusCode: number, message = 'framework message') =>
  Object.assign(new Error(message), { code, statusCode });

describe('toGatewayError', () => {
  it.each([
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 413, 'request_too_large'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 400, 'invalid_json'],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 400, 'invalid_json'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 415, 'unsupported_media_type'],
    ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 400, 'invalid_request'],
    ['FST_ERR_BAD_URL', 400, 400, 'invalid_request'],
    ['FST_ERR_MAX_PARAM_LENGTH', 414, 414, 'uri_too_long'],
    ['FST_ERR_VALIDATION', 400, 400, 'invalid_request'],
    ['FST_INVALID_MULTIPART_CONTENT_TYPE', 406, 400, 'invalid_request'],
    ['FST_INVALID_JSON_FIELD_ERROR', 406, 400, 'invalid_request'],
    ['FST_MP_PREMATURE_CLOSE', 400, 400, 'invalid_request'],
    ['FST_PARTS_LIMIT', 413, 400, 'invalid_request'],
    ['FST_REQ_FILE_TOO_LARGE', 413, 400, 'invalid_request'],
  ])('%s → %i %s', (code, statusCode, status, errorCode) => {
    const { error, internal } = toGatewayError(fastifyError(code, statusCode), { bodyLimitBytes: 1024 });
    expect(internal).toBe(false);
    expect(error.status).toBe(status);
    expect(error.code).toBe(errorCode);
  });

  it('hides unknown failures behind a 500 that is logged', () => {
    const { error, internal } = toGatewayError(new TypeError('x is undefined'), { bodyLimitBytes: 1024 });
    expect(internal).toBe(true);
    expect(error.status).toBe(500);
    expect(error.message).not.toContain('undefined');
  });

  it('caps a client error message it repeats', () => {
    const { error } = toGatewayError(fastifyError('SOME_4XX', 400, 'z'.repeat(100_000)), { bodyLimitBytes: 1 });
    expect(error.message.length).toBeLessThan(400);
  });
});

describe('multipart', () => {
  it.each([
    'multipart/form-data',
    'multipart/form-data; boundary=',
    'multipart/form-data; boundary=""',
    `multipart/form-data; boundary=${'b'.repeat(71)}`,
    `multipart/form-data; boundary="${'b'.repeat(300)}"`,
  ])('refuses the Content-Type %s', (contentType) => {
    expect(() => checkMultipartBoundary(contentType)).toThrow(GatewayError);
  });

  it.each([
    'multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW',
    `multipart/form-data; boundary="${'b'.repeat(70)}"`,
    'multipart/form-data; charset=utf-8; boundary=abc',
  ])('accepts the Content-Type %s', (contentType) => {
    expect(() => checkMultipartBoundary(contentType)).not.toThrow();
  });

  const limits = { files: 6, fileSizeBytes: 10 * 1024 * 1024, fields: 30 };
  it.each([
    new Error('Unexpected end of multipart data'),
    new Error('Part terminated early due to unexpected end of multipart data'),
    new Error('Multipart: Boundary not found'),
    new Error('The needle cannot have a length bigger than 256.'),
    new Error('The needle cannot be an empty String/Buffer.'),
    new Error('Unsupported Content-Type.'),
    new TypeError('Missing Content-Type-header.'),
    fastifyError('FST_MP_PREMATURE_CLOSE', 400),
    fastifyError('FST_INVALID_MULTIPART_CONTENT_TYPE', 406),
  ])('maps the parser failure %s to a 400', (err) => {
    const error = multipartParseError(err, limits);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/malformed or incomplete/);
  });

  it('words limit failures with the limits', () => {
    expect(multipartParseError(fastifyError('FST_FILES_LIMIT', 413), limits).message).toMatch(/at most 6/);
    expect(multipartParseError(fastifyError('FST_REQ_FILE_TOO_LARGE', 413), limits).message).toMatch(/10 MB/);
    expect(multipartParseError(fastifyError('FST_FIELDS_LIMIT', 413), limits).message).toMatch(/at most 30/);
  });
});
