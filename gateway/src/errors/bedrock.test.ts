import { describe, expect, it } from 'vitest';
import {
  fromBedrockHttpError,
  fromBedrockStreamErrorFrame,
  fromBedrockStreamException,
  parseBedrockErrorType,
  redactSecrets,
} from './bedrock.js';

describe('Bedrock HTTP errors as callers see them', () => {
  const cases: Array<{
    name: string;
    status: number;
    type?: string;
    body: unknown;
    code: string;
    httpStatus: number;
    retryable: boolean;
  }> = [
    {
      name: 'validation',
      status: 400,
      type: 'ValidationException',
      body: { message: 'The toolConfig field must be defined.' },
      code: 'invalid_request',
      httpStatus: 400,
      retryable: false,
    },
    {
      name: 'access denied',
      status: 403,
      type: 'AccessDeniedException',
      body: { message: "You don't have access to the model with the specified model ID." },
      code: 'upstream_access_denied',
      httpStatus: 403,
      retryable: false,
    },
    {
      name: 'unknown access key',
      status: 403,
      type: 'UnrecognizedClientException',
      body: { message: 'The security token included in the request is invalid.' },
      code: 'upstream_access_denied',
      httpStatus: 403,
      retryable: false,
    },
    {
      name: 'expired token',
      status: 403,
      type: 'ExpiredTokenException',
      body: { message: 'The security token included in the request is expired' },
      code: 'upstream_access_denied',
      httpStatus: 403,
      retryable: false,
    },
    {
      name: 'bearer key rejected (no type, capital Message)',
      status: 403,
      body: { Message: 'Authentication failed: Please make sure your API Key is valid.' },
      code: 'upstream_access_denied',
      httpStatus: 403,
      retryable: false,
    },
    {
      name: 'resource not found',
      status: 404,
      type: 'ResourceNotFoundException',
      body: { message: 'Model not found.' },
      code: 'model_not_found',
      httpStatus: 404,
      retryable: false,
    },
    {
      name: 'model timeout',
      status: 408,
      type: 'ModelTimeoutException',
      body: { message: 'Model has timed out in processing the request.' },
      code: 'model_timeout',
      httpStatus: 408,
      retryable: false,
    },
    {
      name: 'throttling',
      status: 429,
      type: 'ThrottlingException',
      body: { message: 'Too many requests, please wait before trying again.' },
      code: 'rate_limit_exceeded',
      httpStatus: 429,
      retryable: true,
    },
    {
      name: 'service quota (HTTP 400 on the wire)',
      status: 400,
      type: 'ServiceQuotaExceededException',
      body: { message: 'Too many tokens per day.' },
      code: 'rate_limit_exceeded',
      httpStatus: 429,
      retryable: false,
    },
    {
      name: 'model not ready',
      status: 429,
      type: 'ModelNotReadyException',
      body: { message: 'Model is not ready.' },
      code: 'model_not_ready',
      httpStatus: 503,
      retryable: true,
    },
    {
      name: 'model error 424',
      status: 424,
      type: 'ModelErrorException',
      body: { message: 'The model returned an error.', originalStatusCode: 500 },
      code: 'upstream_error',
      httpStatus: 502,
      retryable: false,
    },
    {
      name: 'internal server',
      status: 500,
      type: 'InternalServerException',
      body: { message: 'Internal server error' },
      code: 'upstream_error',
      httpStatus: 502,
      retryable: true,
    },
    {
      name: 'service unavailable',
      status: 503,
      type: 'ServiceUnavailableException',
      body: { message: 'Service unavailable' },
      code: 'upstream_unavailable',
      httpStatus: 503,
      retryable: true,
    },
    {
      name: 'HTML from a proxy',
      status: 502,
      body: '<html>bad gateway at 10.0.0.7</html>',
      code: 'upstream_error',
      httpStatus: 502,
      retryable: true,
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const error = fromBedrockHttpError({ status: c.status, errorType: c.type, body: c.body });
      expect(error.code).toBe(c.code);
      expect(error.status).toBe(c.httpStatus);
      expect(error.retryable).toBe(c.retryable);
      if (typeof c.body === 'object' && c.body !== null) {
        const text =
          (c.body as { message?: string; Message?: string }).message ?? (c.body as { Message?: string }).Message;
        expect(error.message).toContain(text);
      } else {
        expect(error.message).not.toContain('10.0.0.7');
      }
    });
  }

  it('reads the exception name from the body when the header is missing, and strips namespaces', () => {
    expect(parseBedrockErrorType('ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/', {})).toBe(
      'ValidationException',
    );
    expect(parseBedrockErrorType(undefined, { __type: 'com.amazon.coral.service#ThrottlingException' })).toBe(
      'ThrottlingException',
    );
    const error = fromBedrockHttpError({
      status: 429,
      body: Buffer.from('{"__type":"ThrottlingException","message":"slow"}'),
    });
    expect(error.code).toBe('rate_limit_exceeded');
  });

  it('flags prompts beyond the context window as context_length_exceeded', () => {
    const error = fromBedrockHttpError({
      status: 400,
      errorType: 'ValidationException',
      body: { message: 'Input is too long for requested model.' },
    });
    expect(error.code).toBe('context_length_exceeded');
    expect(error.status).toBe(400);
  });

  it('tells the user to use an inference profile when on-demand throughput is not supported', () => {
    const error = fromBedrockHttpError({
      status: 400,
      errorType: 'ValidationException',
      body: {
        message:
          'Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.',
      },
    });
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(/inference profile id/);
  });

  it('passes on Retry-After for throttles and suggests one when Bedrock gave none', () => {
    expect(
      fromBedrockHttpError({ status: 429, errorType: 'ThrottlingException', body: {}, retryAfterSeconds: 7 })
        .retryAfterSeconds,
    ).toBe(7);
    expect(fromBedrockHttpError({ status: 429, errorType: 'ThrottlingException', body: {} }).retryAfterSeconds).toBe(1);
  });

  it('never echoes credentials or the signer internals', () => {
    const error = fromBedrockHttpError({
      status: 403,
      errorType: 'InvalidSignatureException',
      body: {
        message:
          "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. The Canonical String for this request should have been 'POST /model/x host:y' The String-to-Sign should have been 'AWS4-HMAC-SHA256 20250101T000000Z'",
      },
    });
    expect(error.message).toBe(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
    const leaky = redactSecrets(
      'key AKIAIOSFODNN7EXAMPLE Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/bedrock/aws4_request, Signature=b8bbc1beb5c7bf497629b9fa1a1be82119516e9afdf66bd92ec49ceb4b30953b bearer ABSKRW11bGF0b3JEZW1vS2V5',
    );
    expect(leaky).not.toMatch(/AKIAIOSFODNN7EXAMPLE|b8bbc1be|ABSKRW11/);
  });
});

describe('Bedrock stream exception frames', () => {
  it('maps the lower-camel member names onto the same table, never retryable', () => {
    const throttle = fromBedrockStreamException('throttlingException', {
      message: 'Too many tokens, please wait before trying again.',
    });
    expect(throttle.code).toBe('rate_limit_exceeded');
    expect(throttle.retryable).toBe(false);
    expect(throttle.message).toBe('Too many tokens, please wait before trying again.');
    expect(fromBedrockStreamException('validationException', { message: 'bad' }).code).toBe('invalid_request');
    expect(fromBedrockStreamException('serviceUnavailableException', { message: 'x' }).code).toBe(
      'upstream_unavailable',
    );
    expect(fromBedrockStreamException('modelTimeoutException', { message: 'x' }).code).toBe('model_timeout');
    expect(fromBedrockStreamException('internalServerException', { message: 'x' }).code).toBe('upstream_error');
  });

  it('keeps what the model said in a modelStreamErrorException', () => {
    const error = fromBedrockStreamException('modelStreamErrorException', {
      message: 'The model stream failed.',
      originalStatusCode: 500,
      originalMessage: 'overloaded',
    });
    expect(error.code).toBe('upstream_error');
    expect(error.status).toBe(502);
    expect(error.message).toContain('overloaded');
    expect(error.message).toContain('500');
  });

  it('maps error frames outside the model to upstream_error', () => {
    const error = fromBedrockStreamErrorFrame('InternalFailure', 'boom');
    expect(error.code).toBe('upstream_error');
    expect(error.message).toBe('InternalFailure: boom');
  });
});
