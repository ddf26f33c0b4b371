import { createHash } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { authenticateApiKey, authenticateSigV4 } from './auth.js';
import { computeSignature, parseAuthorization, type SignableRequest } from './sigv4.js';
import { EmulatorState } from './state.js';
import { issueCredentials } from './sts.js';

const VECTOR_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const T0 = Date.UTC(2025, 0, 1, 0, 0, 0);
const HOST = 'bedrock-runtime.us-east-1.amazonaws.com';
const PATH = '/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse';

function newState(options: { region?: string; now?: number } = {}): EmulatorState {
  return new EmulatorState({
    now: () => options.now ?? T0,
    region: options.region,
    identity: { users: [{ name: 'vector', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: VECTOR_SECRET }] },
  });
}

/** Signs like an AWS SDK client would and returns the request as the emulator receives it. */
async function signedRequest(opts: {
  accessKeyId?: string;
  secret?: string;
  sessionToken?: string;
  region?: string;
  service?: string;
  date?: number;
  body?: string;
  host?: string;
}): Promise<SignableRequest> {
  const body = opts.body ?? '{"messages":[]}';
  const host = opts.host ?? `bedrock-runtime.${opts.region ?? 'us-east-1'}.amazonaws.com`;
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: opts.accessKeyId ?? 'AKIDEXAMPLE',
      secretAccessKey: opts.secret ?? VECTOR_SECRET,
      ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
    },
    region: opts.region ?? 'us-east-1',
    service: opts.service ?? 'bedrock',
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: host,
      path: PATH,
      query: {},
      headers: { 'content-type': 'application/json', host },
      body,
    },
    { signingDate: new Date(opts.date ?? T0) },
  );
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = v;
  return { method: 'POST', path: PATH, query: {}, headers, body: Buffer.from(body) };
}

describe('SigV4 verification', () => {
  it('reproduces the bedrock-wire §9.1 test vector (double-encoded canonical URI)', async () => {
    const request: SignableRequest = {
      method: 'POST',
      path: PATH,
      query: {},
      headers: { 'content-type': 'application/json', host: HOST, 'x-amz-date': '20250101T000000Z' },
      body: Buffer.from('{"messages":[]}'),
    };
    expect(createHash('sha256').update('{"messages":[]}').digest('hex')).toBe(
      '5e4ce7b36ba37b78a5d5f9fd08e6b7b54ba6879d651aa46ec9e1d6fa24ebe30a',
    );
    const signature = await computeSignature({
      request,
      signedHeaders: ['content-type', 'host', 'x-amz-date'],
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: VECTOR_SECRET },
      region: 'us-east-1',
      service: 'bedrock',
      uriEscapePath: true,
    });
    expect(signature).toBe('b8bbc1beb5c7bf497629b9fa1a1be82119516e9afdf66bd92ec49ceb4b30953b');
    const principal = await authenticateSigV4(
      newState(),
      {
        ...request,
        headers: {
          ...request.headers,
          authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=${signature}`,
        },
      },
      'bedrock',
    );
    expect(principal.arn).toBe('arn:aws:iam::111122223333:user/vector');
  });

  it('accepts a correctly signed request', async () => {
    const principal = await authenticateSigV4(newState(), await signedRequest({}), 'bedrock');
    expect(principal.via).toBe('sigv4');
  });

  it('rejects a tampered body', async () => {
    const request = await signedRequest({});
    await expect(
      authenticateSigV4(newState(), { ...request, body: Buffer.from('{"messages":[1]}') }, 'bedrock'),
    ).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      status: 403,
      message: expect.stringMatching(/^The request signature we calculated does not match/),
    });
  });

  it('rejects a tampered signature', async () => {
    const request = await signedRequest({});
    const auth = request.headers.authorization ?? '';
    const tampered = auth.replace(/Signature=(.)/, (_, c: string) => `Signature=${c === 'a' ? 'b' : 'a'}`);
    await expect(
      authenticateSigV4(
        newState(),
        { ...request, headers: { ...request.headers, authorization: tampered } },
        'bedrock',
      ),
    ).rejects.toMatchObject({ name: 'InvalidSignatureException' });
  });

  it('rejects a wrong secret', async () => {
    await expect(
      authenticateSigV4(newState(), await signedRequest({ secret: 'nope' }), 'bedrock'),
    ).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    });
  });

  it('rejects clock skew over five minutes with AWS text', async () => {
    const request = await signedRequest({});
    await expect(authenticateSigV4(newState({ now: T0 + 6 * 60_000 }), request, 'bedrock')).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      message: 'Signature expired: 20250101T000000Z is now earlier than 20250101T000100Z (20250101T000600Z - 5 min.)',
    });
    await expect(authenticateSigV4(newState({ now: T0 - 6 * 60_000 }), request, 'bedrock')).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringMatching(/^Signature not yet current/),
    });
    // Within five minutes is fine.
    await expect(authenticateSigV4(newState({ now: T0 + 4 * 60_000 }), request, 'bedrock')).resolves.toBeDefined();
  });

  it('rejects a scope for another service', async () => {
    await expect(
      authenticateSigV4(newState(), await signedRequest({ service: 'bedrock-runtime' }), 'bedrock'),
    ).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      message: "Credential should be scoped to correct service: 'bedrock'. ",
    });
    await expect(authenticateSigV4(newState(), await signedRequest({}), 'sts')).rejects.toMatchObject({
      message: "Credential should be scoped to correct service: 'sts'. ",
    });
  });

  it('rejects unknown regions and regions other than a pinned one', async () => {
    await expect(
      authenticateSigV4(newState(), await signedRequest({ region: 'mars-north-1', host: '127.0.0.1:4566' }), 'bedrock'),
    ).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      message: 'Credential should be scoped to a valid region. ',
    });
    const pinned = newState({ region: 'eu-west-1' });
    await expect(
      authenticateSigV4(pinned, await signedRequest({ region: 'us-east-1' }), 'bedrock'),
    ).rejects.toMatchObject({
      message: 'Credential should be scoped to a valid region. ',
    });
    await expect(
      authenticateSigV4(pinned, await signedRequest({ region: 'eu-west-1' }), 'bedrock'),
    ).resolves.toBeDefined();
  });

  it('rejects a scope region that differs from the region in an AWS host name', async () => {
    const request = await signedRequest({ region: 'us-west-2', host: HOST });
    await expect(authenticateSigV4(newState(), request, 'bedrock')).rejects.toMatchObject({
      message: 'Credential should be scoped to a valid region. ',
    });
  });

  it('rejects an unknown access key', async () => {
    await expect(
      authenticateSigV4(newState(), await signedRequest({ accessKeyId: 'AKIAUNKNOWN0000000' }), 'bedrock'),
    ).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  it('requires the matching session token for temporary keys and enforces expiry', async () => {
    const state = newState();
    const temp = issueCredentials(state, 'arn:aws:iam::111122223333:role/BedrockOpen', 'test', 900);
    const base = { accessKeyId: temp.accessKeyId, secret: temp.secretAccessKey };
    await expect(authenticateSigV4(state, await signedRequest(base), 'bedrock')).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
    await expect(
      authenticateSigV4(state, await signedRequest({ ...base, sessionToken: 'wrong-token' }), 'bedrock'),
    ).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    const ok = await authenticateSigV4(
      state,
      await signedRequest({ ...base, sessionToken: temp.sessionToken }),
      'bedrock',
    );
    expect(ok.arn).toBe('arn:aws:sts::111122223333:assumed-role/BedrockOpen/test');
    state.clock.advance(900_000);
    await expect(
      authenticateSigV4(
        state,
        await signedRequest({ ...base, sessionToken: temp.sessionToken, date: T0 + 900_000 }),
        'bedrock',
      ),
    ).rejects.toMatchObject({
      name: 'ExpiredTokenException',
      message: 'The security token included in the request is expired',
    });
  });

  it('rejects a request without Authorization', async () => {
    const request = await signedRequest({});
    const { authorization: _, ...headers } = request.headers;
    await expect(authenticateSigV4(newState(), { ...request, headers }, 'bedrock')).rejects.toMatchObject({
      name: 'MissingAuthenticationTokenException',
      status: 403,
    });
  });

  it('parses the Authorization header', () => {
    expect(
      parseAuthorization(
        `AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'a'.repeat(64)}`,
      ),
    ).toMatchObject({
      accessKeyId: 'AKID',
      region: 'us-east-1',
      service: 'bedrock',
      signedHeaders: ['host', 'x-amz-date'],
    });
    expect(() => parseAuthorization('AWS4-HMAC-SHA256 junk')).toThrow(/Authorization header requires/);
  });
});

/** A short-term Bedrock API key built the way aws-bedrock-token-generator builds one. */
async function shortTermKey(opts: {
  secret?: string;
  date?: number;
  expires?: number;
  region?: string;
  sessionToken?: string;
  accessKeyId?: string;
  host?: string;
}): Promise<string> {
  const host = opts.host ?? 'bedrock.amazonaws.com';
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: opts.accessKeyId ?? 'AKIDEXAMPLE',
      secretAccessKey: opts.secret ?? VECTOR_SECRET,
      ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
    },
    region: opts.region ?? 'us-east-1',
    service: 'bedrock',
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: host,
      path: '/',
      query: { Action: 'CallWithBearerToken' },
      headers: { host },
    },
    { signingDate: new Date(opts.date ?? T0), expiresIn: opts.expires ?? 43_200 },
  );
  const query = new URLSearchParams(presigned.query as Record<string, string>).toString();
  return `bedrock-api-key-${Buffer.from(`${host}/?${query}&Version=1`).toString('base64')}`;
}

describe('Bedrock API keys', () => {
  it('accepts the built-in long-term key', async () => {
    const principal = await authenticateApiKey(newState(), 'ABSKRW11bGF0b3JEZW1vS2V5');
    expect(principal).toMatchObject({ via: 'api-key', arn: 'arn:aws:iam::111122223333:user/aigw-emulator-user' });
  });

  it('rejects malformed and unknown keys with the observed bodies', async () => {
    await expect(authenticateApiKey(newState(), 'sk-123')).rejects.toMatchObject({
      status: 403,
      message: 'Invalid API Key format: Must start with pre-defined prefix',
      capitalMessage: true,
    });
    await expect(authenticateApiKey(newState(), 'ABSKnotakey')).rejects.toMatchObject({
      message: 'Authentication failed: Please make sure your API Key is valid.',
    });
  });

  it('accepts a valid short-term key and rejects expired, tampered or foreign-region ones', async () => {
    const state = newState();
    const key = await shortTermKey({});
    await expect(authenticateApiKey(state, key)).resolves.toMatchObject({
      arn: 'arn:aws:iam::111122223333:user/vector',
    });
    const invalid = { message: 'Authentication failed: Please make sure your API Key is valid.' };
    await expect(authenticateApiKey(newState({ now: T0 + 43_200_000 }), key)).rejects.toMatchObject(invalid);
    await expect(authenticateApiKey(state, await shortTermKey({ secret: 'other' }))).rejects.toMatchObject(invalid);
    await expect(authenticateApiKey(newState({ region: 'eu-west-1' }), key)).rejects.toMatchObject(invalid);
  });

  it('rejects short-term keys that live longer than 12 hours or were presigned for another host', async () => {
    const invalid = { message: 'Authentication failed: Please make sure your API Key is valid.' };
    await expect(authenticateApiKey(newState(), await shortTermKey({ expires: 43_201 }))).rejects.toMatchObject(
      invalid,
    );
    await expect(
      authenticateApiKey(newState(), await shortTermKey({ host: 'bedrock-runtime.us-east-1.amazonaws.com' })),
    ).rejects.toMatchObject(invalid);
  });

  it('accepts a short-term key signed with temporary credentials', async () => {
    const state = newState();
    const temp = issueCredentials(state, 'arn:aws:iam::111122223333:role/BedrockOpen', 'keys', 3600);
    const key = await shortTermKey({
      accessKeyId: temp.accessKeyId,
      secret: temp.secretAccessKey,
      sessionToken: temp.sessionToken,
    });
    await expect(authenticateApiKey(state, key)).resolves.toMatchObject({ arn: temp.principalArn });
  });
});
