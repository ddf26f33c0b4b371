import { describe, expect, it } from 'vitest';
import { backoffDelayMs, parseRetryAfterMs, transientNetworkCode } from './retry.js';

describe('retry policy', () => {
  it('backs off with full jitter, doubling up to the cap', () => {
    const top = () => 0.999999;
    expect(backoffDelayMs(1, 100, 5000, top)).toBe(99);
    expect(backoffDelayMs(2, 100, 5000, top)).toBe(199);
    expect(backoffDelayMs(4, 100, 5000, top)).toBe(799);
    expect(backoffDelayMs(20, 100, 5000, top)).toBe(4999);
    expect(backoffDelayMs(3, 100, 5000, () => 0)).toBe(0);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.UTC(2025, 0, 1, 0, 0, 0);
    expect(parseRetryAfterMs('3', now)).toBe(3000);
    expect(parseRetryAfterMs('0.5', now)).toBe(500);
    expect(parseRetryAfterMs('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfterMs('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
  });

  it('treats resets and refused connections as transient, wherever undici nests the code', () => {
    expect(transientNetworkCode({ code: 'ECONNRESET' })).toBe('ECONNRESET');
    expect(transientNetworkCode({ code: 'UND_ERR_SOCKET', cause: { code: 'ECONNRESET' } })).toBe('UND_ERR_SOCKET');
    expect(transientNetworkCode(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))).toBe(
      'ECONNREFUSED',
    );
    expect(transientNetworkCode({ code: 'UND_ERR_INVALID_ARG' })).toBeUndefined();
    expect(transientNetworkCode('boom')).toBeUndefined();
  });
});
