import { describe, expect, it } from 'vitest';
import { requestRegion } from './auth.js';
import type { SignableRequest } from './sigv4.js';
import { EmulatorState } from './state.js';

function request(headers: Record<string, string>): SignableRequest {
  return { method: 'POST', path: '/model/x/converse', query: {}, headers, body: Buffer.alloc(0) };
}

const SIGV4 = `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/eu-west-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;

function shortTermKey(region: string): string {
  const url = `bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Credential=${encodeURIComponent(
    `AKIAIOSFODNN7EXAMPLE/20250101/${region}/bedrock/aws4_request`,
  )}&Version=1`;
  return `bedrock-api-key-${Buffer.from(url).toString('base64')}`;
}

describe('the region a request was made in (prompt-cache scope)', () => {
  const state = new EmulatorState({});

  it('is the SigV4 scope', () => {
    expect(requestRegion(state, request({ authorization: SIGV4, host: '127.0.0.1:4566' }))).toBe('eu-west-1');
  });

  it("is a short-term API key's scope", () => {
    const auth = `Bearer ${shortTermKey('ap-northeast-1')}`;
    expect(requestRegion(state, request({ authorization: auth, host: '127.0.0.1:4566' }))).toBe('ap-northeast-1');
  });

  it('for a long-term API key: the AWS host name, else the pinned region, else us-east-1', () => {
    const auth = 'Bearer ABSKRW11bGF0b3JEZW1vS2V5';
    const host = 'bedrock-runtime.us-west-2.amazonaws.com';
    expect(requestRegion(state, request({ authorization: auth, host }))).toBe('us-west-2');
    expect(requestRegion(state, request({ authorization: auth, host: '127.0.0.1:4566' }))).toBe('us-east-1');
    const pinned = new EmulatorState({ region: 'eu-central-1' });
    expect(requestRegion(pinned, request({ authorization: auth, host: '127.0.0.1:4566' }))).toBe('eu-central-1');
  });
});
