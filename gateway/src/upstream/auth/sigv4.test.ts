import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { AccessKeyAuth } from './access-key.js';
import { ApiKeyAuth } from './api-key.js';
import { type AwsCredentials, SigV4Signer } from './sigv4.js';
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

/** The SDK signer (with the SDK's own SHA-256), configured as botocore signs Bedrock: the reference. */
async function sdkSignature(
  request: SignableRequest,
  credentials: AwsCredentials,
  at: number,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: 'bedrock',
    region: request.region,
    credentials,
    sha256: Sha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    { ...request, query: {}, headers: { ...request.headers } },
    { signingDate: new Date(at) },
  );
  return signed.headers as Record<string, string>;
}

/** A signer that reads its credentials and its clock from these functions at every signature. */
function signerWith(credentials: () => AwsCredentials, now: () => number): SigV4Signer {
  return new SigV4Signer(() => Promise.resolve(credentials()), now);
}

describe('SigV4Signer against @smithy/signature-v4', () => {
  const cases: { name: string; request: SignableRequest; credentials: AwsCredentials; at: number }[] = [
    {
      name: 'converse with an encoded model id',
      request: vectorRequest(),
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      at: Date.UTC(2025, 0, 1, 0, 0, 0),
    },
    {
      name: 'an ARN model id (encoded slashes), a session token, bytes body and a custom base path',
      request: {
        ...vectorRequest(),
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 4566,
        path: '/proxy/./bedrock/../model/arn%3Aaws%3Abedrock%3Aus-west-2%3A111122223333%3Ainference-profile%2Fus.meta.llama3-1-8b-instruct-v1%3A0/converse-stream',
        headers: {
          host: '127.0.0.1:4566',
          'content-type': 'application/json',
          accept: 'application/vnd.amazon.eventstream',
          'user-agent': 'aigateway',
        },
        body: new TextEncoder().encode('{"messages":[{"role":"user","content":[{"text":"héllo"}]}]}'),
        region: 'us-west-2',
      },
      credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 's3cr3t/with+chars', sessionToken: 'FwoGZX//token=' },
      at: Date.UTC(2026, 10, 24, 23, 59, 59, 999),
    },
    {
      name: 'extra headers needing whitespace folding, unsignable headers and a stale authorization',
      request: {
        ...vectorRequest(),
        path: "/model/weird!'()*model/invoke",
        headers: {
          host: 'bedrock-runtime.eu-central-1.amazonaws.com',
          'content-type': 'application/json',
          'x-amzn-bedrock-trace': '  ENABLED\t\tplease  ',
          'x-amzn-bedrock-guardrailidentifier': 'gr-1\r\nline two',
          'x-amzn-trace-id': 'Root=1-abc',
          'proxy-authorization': 'nope',
          authorization: 'Bearer stale',
          'x-amz-date': '19700101T000000Z',
        },
        body: '',
        region: 'eu-central-1',
      },
      credentials: { accessKeyId: 'AKIAOTHER', secretAccessKey: 'other-secret' },
      at: Date.UTC(2024, 1, 29, 12, 30, 45),
    },
  ];

  for (const c of cases) {
    it(`signs ${c.name} exactly as the SDK does`, async () => {
      const expected = await sdkSignature(c.request, c.credentials, c.at);
      const request = { ...c.request, headers: { ...c.request.headers } };
      await signerWith(
        () => c.credentials,
        () => c.at,
      ).sign(request);
      expect(request.headers.authorization).toBe(expected.authorization);
      expect(request.headers['x-amz-date']).toBe(expected['x-amz-date']);
      expect(request.headers['x-amz-security-token']).toBe(expected['x-amz-security-token']);
    });
  }

  it('re-derives the cached signing key when the day or the credentials change', async () => {
    let now = Date.UTC(2025, 0, 1, 23, 59, 59);
    let credentials: AwsCredentials = { accessKeyId: 'ASIAONE', secretAccessKey: 'first', sessionToken: 't1' };
    const signer = signerWith(
      () => credentials,
      () => now,
    );
    for (const step of [
      () => undefined,
      () => {
        now += 1000; // the next UTC day
      },
      () => {
        credentials = { accessKeyId: 'ASIATWO', secretAccessKey: 'second', sessionToken: 't2' }; // refreshed
      },
    ]) {
      step();
      const request = { ...vectorRequest(), headers: { ...vectorRequest().headers } };
      await signer.sign(request);
      expect(request.headers.authorization).toBe((await sdkSignature(vectorRequest(), credentials, now)).authorization);
    }
  });

  it('signs requests with other header names, orders and values in turn, each as the SDK does', async () => {
    // One signer keeps what it worked out for each order of header names: a later request with the same
    // names must not reuse another's values, and other names or orders must not reuse its layout.
    const at = Date.UTC(2026, 11, 4, 10, 20, 30);
    const credentials: AwsCredentials = { accessKeyId: 'ASIASEQ', secretAccessKey: 'seq-secret', sessionToken: 'tok' };
    const signer = signerWith(
      () => credentials,
      () => at,
    );
    const base = { host: '127.0.0.1:4566', 'content-type': 'application/json', accept: 'application/json' };
    const sequence: Record<string, string>[] = [
      base,
      { ...base, accept: 'application/vnd.amazon.eventstream' },
      { accept: 'application/json', host: '127.0.0.1:4566', 'content-type': 'application/json' },
      { ...base, 'x-amzn-bedrock-trace': '  ENABLED\t\tplease  ' },
      { ...base, 'x-amzn-bedrock-trace': 'DISABLED' },
      { ...base, 'X-Amzn-Bedrock-Trace': 'ENABLED', 'user-agent': 'not signed', authorization: 'stale' },
      { ...base, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      base,
    ];
    for (const [i, headers] of sequence.entries()) {
      const request: SignableRequest = { ...vectorRequest(), headers: { ...headers }, body: `{"n":${i}}` };
      await signer.sign(request);
      const expected = await sdkSignature({ ...request, headers: { ...headers } }, credentials, at);
      expect(request.headers.authorization, `request ${i}`).toBe(expected.authorization);
    }
  });

  it('rejects a credential object without keys, as the SDK signer does', async () => {
    const signer = new SigV4Signer(() => Promise.resolve({} as AwsCredentials));
    await expect(signer.sign(vectorRequest())).rejects.toThrow('Resolved credential object is not valid');
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
