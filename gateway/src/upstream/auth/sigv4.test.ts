import { describe, expect, it } from 'vitest';
import { AccessKeyAuth } from './access-key.js';
import { ApiKeyAuth } from './api-key.js';
import type { SignableRequest } from './types.js';

function vectorRequest(): SignableRequest {
  return {
    method: 'POST',
    protocol: 'https:',
    hostname: 'bedrock-runtime.us-east-1.amazonaws.com',
    port: undefined,
    path: '/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse',
    headers: { host: 'bedrock-runtime.us-east-1.amazonaws.com', 'content-type': 'application/json' },
    body: '{"messages":[]}',
    region: 'us-east-1',
  };
}

describe('SigV4 signing for Bedrock', () => {
  it('reproduces the bedrock-wire §9.1 test vector (service bedrock, double-encoded path, no content-sha256)', async () => {
    const auth = new AccessKeyAuth(
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      { clock: () => Date.UTC(2025, 0, 1, 0, 0, 0) },
    );
    const request = vectorRequest();
    await auth.authorize(request);
    expect(request.headers['x-amz-date']).toBe('20250101T000000Z');
    expect(request.headers['x-amz-content-sha256']).toBeUndefined();
    expect(request.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/aws4_request, ' +
        'SignedHeaders=content-type;host;x-amz-date, ' +
        'Signature=b8bbc1beb5c7bf497629b9fa1a1be82119516e9afdf66bd92ec49ceb4b30953b',
    );
  });

  it('signs the session token of temporary keys and scopes to the request region', async () => {
    const auth = new AccessKeyAuth(
      { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token-123' },
      { clock: () => Date.UTC(2025, 0, 1) },
    );
    const request = { ...vectorRequest(), region: 'eu-west-1' };
    await auth.authorize(request);
    expect(request.headers['x-amz-security-token']).toBe('token-123');
    expect(request.headers.authorization).toContain('/20250101/eu-west-1/bedrock/aws4_request');
    expect(request.headers.authorization).toContain('SignedHeaders=content-type;host;x-amz-date;x-amz-security-token');
  });

  it('fails with upstream_credentials_unavailable when the bundle has no keys', async () => {
    await expect(new AccessKeyAuth(undefined).authorize(vectorRequest())).rejects.toMatchObject({
      code: 'upstream_credentials_unavailable',
    });
  });
});

describe('Bedrock API keys', () => {
  it('sends the key as a bearer token and no SigV4 headers', async () => {
    const request = vectorRequest();
    await new ApiKeyAuth({ apiKey: 'ABSKRW11bGF0b3JEZW1vS2V5' }).authorize(request);
    expect(request.headers.authorization).toBe('Bearer ABSKRW11bGF0b3JEZW1vS2V5');
    expect(request.headers['x-amz-date']).toBeUndefined();
  });

  it('fails clearly when no key is configured', async () => {
    await expect(new ApiKeyAuth({}).authorize(vectorRequest())).rejects.toMatchObject({
      code: 'upstream_credentials_unavailable',
    });
  });
});
