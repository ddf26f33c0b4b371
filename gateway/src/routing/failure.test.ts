import { describe, expect, it } from 'vitest';
import { fromBedrockHttpError, fromBedrockStreamException, GatewayError } from '../errors/index.js';
import { LimitExceededError } from '../limits/index.js';
import { failureClass } from './failure.js';

const bedrock = (status: number, errorType?: string) =>
  fromBedrockHttpError({ status, errorType, body: '{"message":"m"}', retryAfterSeconds: undefined });

describe('failureClass', () => {
  it('classes target faults by retryOn', () => {
    expect(failureClass(bedrock(429, 'ThrottlingException'))).toBe('throttle');
    expect(failureClass(bedrock(429, 'ModelNotReadyException'))).toBe('throttle');
    expect(failureClass(bedrock(500, 'InternalServerException'))).toBe('5xx');
    expect(failureClass(bedrock(503, 'ServiceUnavailableException'))).toBe('5xx');
    expect(failureClass(bedrock(502))).toBe('5xx');
    expect(failureClass(new GatewayError('upstream_timeout', 't', { retryable: true }))).toBe('timeout');
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(failureClass(new GatewayError('upstream_unavailable', 'x', { retryable: true, cause: refused }))).toBe(
      'connect',
    );
  });

  it('does not fail over on the caller’s own faults or the model’s answer', () => {
    expect(failureClass(bedrock(400, 'ValidationException'))).toBeUndefined();
    expect(failureClass(bedrock(403, 'AccessDeniedException'))).toBeUndefined();
    expect(failureClass(bedrock(424, 'ModelErrorException'))).toBeUndefined();
    expect(failureClass(new Error('boom'))).toBeUndefined();
    const limited = new LimitExceededError('rate_limit_exceeded', 'over', {
      retryAfterSeconds: 1,
      headers: {},
      policy: 'p',
      reason: 'requests',
    });
    expect(failureClass(limited)).toBeUndefined();
  });

  it('classes a stream broken after its first event by its exception (never retryable there)', () => {
    const midway = (type: string) => fromBedrockStreamException(type, { message: 'm' }, { firstFrame: false });
    expect(midway('internalServerException').retryable).toBe(false);
    expect(failureClass(midway('internalServerException'))).toBeUndefined();
    expect(failureClass(midway('internalServerException'), true)).toBe('5xx');
    expect(failureClass(midway('serviceUnavailableException'), true)).toBe('5xx');
    expect(failureClass(midway('throttlingException'), true)).toBe('throttle');
    // The model's own error and a refused request are not the target's fault, mid-stream either.
    expect(failureClass(midway('modelStreamErrorException'), true)).toBeUndefined();
    expect(failureClass(midway('validationException'), true)).toBeUndefined();
  });
});
