/**
 * Acceptance: `aigw emulator` on the wire — SigV4 and API-key failures, error headers and bodies,
 * model-id path encoding, event-stream framing, h2c, STS XML, container credentials, the admin API and
 * `--config`. Expectations come from docs/emulator.md and Bedrock's documented behaviour.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as h1request } from 'node:http';
import { constants as h2c, connect as h2connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromHttp } from '@aws-sdk/credential-providers';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { SignatureV4 } from '@smithy/signature-v4';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/src/index.js';
import { ACCESS_KEY, type EmulatorProcess, LONG_TERM_API_KEY, OPEN_ROLE, spawnEmulator } from './emulator-harness.js';

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const ERROR_TYPE_SUFFIX = /^[A-Za-z]+:http:\/\/internal\.amazon\.com\/coral\/com\.amazon\.(bedrock|coral\.service)\/$/;

let emu: EmulatorProcess;
const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** The request shape SignatureV4 signs (the SDK's HttpRequest, as a plain object). */
function httpRequest(r: {
  method: string;
  protocol: string;
  hostname: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  query?: Record<string, string>;
}) {
  return { query: {}, ...r };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json(): Record<string, unknown>;
}

/** One HTTP/1.1 request with exactly the given path and headers (no client-side normalisation). */
function raw(method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = h1request({ host: '127.0.0.1', port: emu.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: buf,
          text: buf.toString(),
          json: () => JSON.parse(buf.toString()) as Record<string, unknown>,
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const converseBody = (text: string) => JSON.stringify({ messages: [{ role: 'user', content: [{ text }] }] });
const modelPath = (id: string, op = 'converse') => `/model/${encodeURIComponent(id)}/${op}`;

interface SignOptions {
  service?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  signingDate?: Date;
  host?: string;
  extraHeaders?: Record<string, string>;
}

/** Signs like the SDK: SigV4 over the encoded path (encoded a second time in the canonical URI). */
async function signed(path: string, body: string, o: SignOptions = {}): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: o.service ?? 'bedrock',
    region: o.region ?? 'us-east-1',
    credentials: o.credentials ?? ACCESS_KEY,
    sha256: Sha256,
  });
  const host = o.host ?? `127.0.0.1:${emu.port}`;
  const req = httpRequest({
    method: 'POST',
    protocol: 'http:',
    hostname: host,
    path,
    headers: { host, 'content-type': 'application/json', ...o.extraHeaders },
    body,
  });
  const out = await signer.sign(req, o.signingDate ? { signingDate: o.signingDate } : {});
  return out.headers as Record<string, string>;
}

async function post(path: string, body: string, o: SignOptions = {}): Promise<Reply> {
  return raw('POST', path, await signed(path, body, o), body);
}

function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
}

/** Asserts Bedrock's error wire format (§8): status, x-amzn-ErrorType, x-amzn-RequestId, JSON body. */
function expectError(r: Reply, status: number, type: string, message?: string | RegExp): void {
  expect(r.status, r.text).toBe(status);
  const errorType = String(r.headers['x-amzn-errortype']);
  expect(errorType.split(':')[0]).toBe(type);
  expect(errorType).toMatch(ERROR_TYPE_SUFFIX);
  // Front-door (authentication, routing) errors come from the service framework, the rest from Bedrock.
  const frontDoor = [
    'MissingAuthenticationTokenException',
    'IncompleteSignatureException',
    'InvalidSignatureException',
    'UnrecognizedClientException',
    'ExpiredTokenException',
    'UnknownOperationException',
  ].includes(type);
  expect(errorType.endsWith(frontDoor ? '/com.amazon.coral.service/' : '/com.amazon.bedrock/')).toBe(true);
  expect(r.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
  expect(String(r.headers['content-type'])).toContain('application/json');
  const body = r.json();
  const msg = (body.message ?? body.Message) as string;
  if (typeof message === 'string') expect(msg).toBe(message);
  else if (message) expect(msg).toMatch(message);
  else expect(typeof msg).toBe('string');
}

function amzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Builds a short-term Bedrock API key the way the AWS token generators do (§9.2). */
async function shortTermKey(o: {
  region?: string;
  expiresIn?: number;
  signingDate?: Date;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}): Promise<string> {
  const signer = new SignatureV4({
    service: 'bedrock',
    region: o.region ?? 'us-east-1',
    credentials: o.credentials ?? ACCESS_KEY,
    sha256: Sha256,
  });
  const req = httpRequest({
    method: 'POST',
    protocol: 'https:',
    hostname: 'bedrock.amazonaws.com',
    path: '/',
    headers: { host: 'bedrock.amazonaws.com' },
    query: { Action: 'CallWithBearerToken' },
  });
  const presigned = await signer.presign(req, {
    expiresIn: o.expiresIn ?? 43_200,
    ...(o.signingDate ? { signingDate: o.signingDate } : {}),
  });
  const query = Object.entries(presigned.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  const url = `bedrock.amazonaws.com/?${query}&Version=1`;
  return `bedrock-api-key-${Buffer.from(url).toString('base64')}`;
}

async function admin(method: string, path: string, body?: unknown): Promise<Reply> {
  return raw(
    method,
    `/_emulator/${path}`,
    body === undefined ? {} : { 'content-type': 'application/json' },
    body === undefined ? undefined : JSON.stringify(body),
  );
}

beforeAll(async () => {
  emu = await spawnEmulator();
});

afterAll(async () => {
  await emu?.close();
});

afterEach(async () => {
  await admin('DELETE', 'faults');
});

describe('SigV4 front door', () => {
  it('accepts an SDK-style signed request and answers with x-amzn-RequestId and JSON', async () => {
    const r = await post(modelPath(HAIKU), converseBody('signed'));
    expect(r.status, r.text).toBe(200);
    expect(r.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(String(r.headers['content-type'])).toContain('application/json');
    expect(r.json()).toMatchObject({
      stopReason: 'end_turn',
      output: { message: { content: [{ text: 'Echo: signed' }] } },
    });
  });

  it('accepts an explicit x-amz-content-sha256 (hash or UNSIGNED-PAYLOAD) as the signed payload', async () => {
    const body = converseBody('unsigned payload');
    const r = await post(modelPath(HAIKU), body, { extraHeaders: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    expect(r.status, r.text).toBe(200);
  });

  it('answers 403 MissingAuthenticationTokenException without Authorization', async () => {
    const r = await raw('POST', modelPath(HAIKU), { 'content-type': 'application/json' }, converseBody('x'));
    expectError(r, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  });

  it('answers IncompleteSignatureException for a malformed SigV4 header', async () => {
    const r = await raw(
      'POST',
      modelPath(HAIKU),
      {
        'content-type': 'application/json',
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/bedrock/aws4_request',
        'x-amz-date': amzDate(new Date()),
      },
      converseBody('x'),
    );
    expectError(
      r,
      403,
      'IncompleteSignatureException',
      /^Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters/,
    );
  });

  it('answers InvalidSignatureException when the body was changed after signing', async () => {
    const path = modelPath(HAIKU);
    // The JS SDK signs an x-amz-content-sha256 header carrying the body hash; the body must still match it.
    const headers = await signed(path, converseBody('original'));
    expect(headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    const withHash = await raw('POST', path, headers, converseBody('tampered'));
    expectError(withHash, 403, 'InvalidSignatureException', /^The request signature we calculated does not match/);
    // botocore sends no hash header: the canonical request hashes the body itself.
    const signer = new SignatureV4({
      service: 'bedrock',
      region: 'us-east-1',
      credentials: ACCESS_KEY,
      sha256: Sha256,
      applyChecksum: false,
    });
    const host = `127.0.0.1:${emu.port}`;
    const plain = await signer.sign(
      httpRequest({
        method: 'POST',
        protocol: 'http:',
        hostname: host,
        path,
        headers: { host, 'content-type': 'application/json' },
        body: converseBody('original'),
      }),
    );
    expect(plain.headers['x-amz-content-sha256']).toBeUndefined();
    const ok = await raw('POST', path, plain.headers as Record<string, string>, converseBody('original'));
    expect(ok.status, ok.text).toBe(200);
    const r = await raw('POST', path, plain.headers as Record<string, string>, converseBody('tampered'));
    expectError(
      r,
      403,
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  });

  it('answers InvalidSignatureException for a wrong secret key', async () => {
    const r = await post(modelPath(HAIKU), converseBody('x'), {
      credentials: { accessKeyId: ACCESS_KEY.accessKeyId, secretAccessKey: 'not-the-secret' },
    });
    expectError(r, 403, 'InvalidSignatureException', /^The request signature we calculated does not match/);
  });

  it('answers UnrecognizedClientException for an unknown access key', async () => {
    const r = await post(modelPath(HAIKU), converseBody('x'), {
      credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' },
    });
    expectError(r, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  });

  it('refuses a session token sent with a long-term access key', async () => {
    const r = await post(modelPath(HAIKU), converseBody('x'), {
      credentials: { ...ACCESS_KEY, sessionToken: 'stale-token' },
    });
    expectError(r, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  });

  it('requires the host to be a signed header', async () => {
    const signer = new SignatureV4({
      service: 'bedrock',
      region: 'us-east-1',
      credentials: ACCESS_KEY,
      sha256: Sha256,
    });
    const host = `127.0.0.1:${emu.port}`;
    const path = modelPath(HAIKU);
    const body = converseBody('x');
    const req = await signer.sign(
      httpRequest({
        method: 'POST',
        protocol: 'http:',
        hostname: host,
        path,
        headers: { host, 'content-type': 'application/json' },
        body,
      }),
      { unsignableHeaders: new Set(['host']) },
    );
    expect(String(req.headers.authorization)).not.toMatch(/SignedHeaders=[^,]*host/);
    const r = await raw('POST', path, req.headers as Record<string, string>, body);
    expectError(
      r,
      403,
      'InvalidSignatureException',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  });

  it('rejects a scope for the wrong service (bedrock-runtime is not the signing name)', async () => {
    const r = await post(modelPath(HAIKU), converseBody('x'), { service: 'bedrock-runtime' });
    expectError(r, 403, 'InvalidSignatureException', /^Credential should be scoped to correct service: 'bedrock'\./);
  });

  it('rejects an unknown region and a region that contradicts the AWS host name', async () => {
    const r = await post(modelPath(HAIKU), converseBody('x'), { region: 'moon-central-1' });
    expectError(r, 403, 'InvalidSignatureException', /^Credential should be scoped to a valid region\./);
    const r2 = await post(modelPath(HAIKU), converseBody('x'), {
      region: 'us-east-1',
      host: 'bedrock-runtime.eu-west-1.amazonaws.com',
    });
    expectError(r2, 403, 'InvalidSignatureException', /^Credential should be scoped to a valid region\./);
    const ok = await post(modelPath(HAIKU), converseBody('eu'), {
      region: 'eu-west-1',
      host: 'bedrock-runtime.eu-west-1.amazonaws.com',
    });
    expect(ok.status, ok.text).toBe(200);
  });

  it('rejects a request signed more than 5 minutes ago, or ahead, with the Signature expired text', async () => {
    const old = new Date(Date.now() - 10 * 60_000);
    const r = await post(modelPath(HAIKU), converseBody('x'), { signingDate: old });
    expectError(
      r,
      403,
      'InvalidSignatureException',
      new RegExp(
        `^Signature expired: ${amzDate(old)} is now earlier than \\d{8}T\\d{6}Z \\(\\d{8}T\\d{6}Z - 5 min\\.\\)$`,
      ),
    );
    const ahead = new Date(Date.now() + 10 * 60_000);
    const r2 = await post(modelPath(HAIKU), converseBody('x'), { signingDate: ahead });
    expectError(r2, 403, 'InvalidSignatureException', /^Signature not yet current: /);
  });

  it('reports an expired session token as ExpiredTokenException once the clock passes its expiry', async () => {
    // The clock is only reachable in-process, so this one case starts its own emulator.
    const local = await startEmulator({ port: 0 });
    try {
      const form = new URLSearchParams({
        Action: 'AssumeRole',
        Version: '2011-06-15',
        RoleArn: OPEN_ROLE,
        RoleSessionName: 'exp',
        DurationSeconds: '900',
      }).toString();
      const signer = new SignatureV4({ service: 'sts', region: 'us-east-1', credentials: ACCESS_KEY, sha256: Sha256 });
      const port = Number(new URL(local.url).port);
      const host = `127.0.0.1:${port}`;
      const stsReq = await signer.sign(
        httpRequest({
          method: 'POST',
          protocol: 'http:',
          hostname: host,
          path: '/',
          headers: { host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
          body: form,
        }),
      );
      const xml = await (await fetch(`${local.url}/`, { method: 'POST', headers: stsReq.headers, body: form })).text();
      const pick = (tag: string) => new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(xml)?.[1] ?? '';
      const creds = {
        accessKeyId: pick('AccessKeyId'),
        secretAccessKey: pick('SecretAccessKey'),
        sessionToken: pick('SessionToken'),
      };
      expect(creds.accessKeyId).toMatch(/^ASIA/);
      local.state.clock.advance(901_000);
      const bsigner = new SignatureV4({ service: 'bedrock', region: 'us-east-1', credentials: creds, sha256: Sha256 });
      const path = modelPath(HAIKU);
      const body = converseBody('late');
      const req = await bsigner.sign(
        httpRequest({
          method: 'POST',
          protocol: 'http:',
          hostname: host,
          path,
          headers: { host, 'content-type': 'application/json' },
          body,
        }),
        { signingDate: new Date(local.state.clock.now()) },
      );
      const res = await fetch(`${local.url}${path}`, { method: 'POST', headers: req.headers, body });
      expect(res.status).toBe(403);
      expect(res.headers.get('x-amzn-errortype')?.split(':')[0]).toBe('ExpiredTokenException');
      expect(((await res.json()) as { message: string }).message).toBe(
        'The security token included in the request is expired',
      );
      // STS reports the same as its own ExpiredToken (400, XML).
      const gci = 'Action=GetCallerIdentity&Version=2011-06-15';
      const stsSigner = new SignatureV4({ service: 'sts', region: 'us-east-1', credentials: creds, sha256: Sha256 });
      const stsReq2 = await stsSigner.sign(
        httpRequest({
          method: 'POST',
          protocol: 'http:',
          hostname: host,
          path: '/',
          headers: { host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
          body: gci,
        }),
        { signingDate: new Date(local.state.clock.now()) },
      );
      const expiredSts = await fetch(`${local.url}/`, { method: 'POST', headers: stsReq2.headers, body: gci });
      expect(expiredSts.status).toBe(400);
      expect(await expiredSts.text()).toContain('<Code>ExpiredToken</Code>');
    } finally {
      await local.close();
    }
  });
});

describe('Bedrock API keys (bearer)', () => {
  it('accepts the long-term key and a short-term bedrock-api-key- built like the AWS token generator', async () => {
    const long = await raw('POST', modelPath(HAIKU), bearer(LONG_TERM_API_KEY), converseBody('long'));
    expect(long.status, long.text).toBe(200);
    const key = await shortTermKey({});
    const short = await raw('POST', modelPath(HAIKU), bearer(key), converseBody('short'));
    expect(short.status, short.text).toBe(200);
    expect(short.json()).toMatchObject({ output: { message: { content: [{ text: 'Echo: short' }] } } });
  });

  it('accepts a short-term key minted from temporary credentials (with X-Amz-Security-Token)', async () => {
    const form = new URLSearchParams({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: OPEN_ROLE,
      RoleSessionName: 'keys',
    }).toString();
    const headers = await signed('/', form, {
      service: 'sts',
      extraHeaders: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    });
    const xml = (await raw('POST', '/', headers, form)).text;
    const pick = (tag: string) => new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(xml)?.[1] ?? '';
    const key = await shortTermKey({
      credentials: {
        accessKeyId: pick('AccessKeyId'),
        secretAccessKey: pick('SecretAccessKey'),
        sessionToken: pick('SessionToken'),
      },
    });
    const r = await raw('POST', modelPath(HAIKU), bearer(key), converseBody('temp'));
    expect(r.status, r.text).toBe(200);
  });

  const AUTH_FAILED = 'Authentication failed: Please make sure your API Key is valid.';

  it('rejects malformed, unknown, expired, wrongly signed and foreign-service keys with Bedrock bodies', async () => {
    const malformed = await raw('POST', modelPath(HAIKU), bearer('sk-not-a-bedrock-key'), converseBody('x'));
    expectError(malformed, 403, 'AccessDeniedException', 'Invalid API Key format: Must start with pre-defined prefix');
    expect(malformed.json()).toHaveProperty('Message');

    const unknown = await raw('POST', modelPath(HAIKU), bearer('ABSKdW5rbm93bg=='), converseBody('x'));
    expectError(unknown, 403, 'AccessDeniedException', AUTH_FAILED);

    const expired = await shortTermKey({ expiresIn: 60, signingDate: new Date(Date.now() - 3_600_000) });
    expectError(
      await raw('POST', modelPath(HAIKU), bearer(expired), converseBody('x')),
      403,
      'AccessDeniedException',
      AUTH_FAILED,
    );

    const wrongSecret = await shortTermKey({
      credentials: { accessKeyId: ACCESS_KEY.accessKeyId, secretAccessKey: 'nope' },
    });
    expectError(
      await raw('POST', modelPath(HAIKU), bearer(wrongSecret), converseBody('x')),
      403,
      'AccessDeniedException',
      AUTH_FAILED,
    );

    const garbage = `bedrock-api-key-${Buffer.from('not a url at all').toString('base64')}`;
    expectError(
      await raw('POST', modelPath(HAIKU), bearer(garbage), converseBody('x')),
      403,
      'AccessDeniedException',
      AUTH_FAILED,
    );

    const notBase64 = 'bedrock-api-key-%%%%';
    expectError(
      await raw('POST', modelPath(HAIKU), bearer(notBase64), converseBody('x')),
      403,
      'AccessDeniedException',
      AUTH_FAILED,
    );
  });
});

describe('model ids in the path', () => {
  const ids: Array<[string, string]> = [
    ['percent-encoded colon (SDK form)', `/model/${encodeURIComponent(HAIKU)}/converse`],
    ['raw colon (curl form)', `/model/${HAIKU}/converse`],
    ['profile id', `/model/${encodeURIComponent(`us.${HAIKU}`)}/converse`],
    [
      'foundation-model ARN with %2F',
      `/model/${encodeURIComponent(`arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`)}/converse`,
    ],
    [
      'inference-profile ARN with %2F',
      `/model/${encodeURIComponent(`arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.${HAIKU}`)}/converse`,
    ],
    ['lower-case percent escapes', `/model/${encodeURIComponent(HAIKU).replace('%3A', '%3a')}/converse`],
  ];

  it.each(ids)('%s', async (_name, path) => {
    const r = await raw('POST', path, bearer(LONG_TERM_API_KEY), converseBody('path'));
    expect(r.status, r.text).toBe(200);
    // and the same path signed with SigV4 as the SDK would sign it
    const s = await raw('POST', path, await signed(path, converseBody('path')), converseBody('path'));
    expect(s.status, s.text).toBe(200);
  });

  it('decodes exactly once: a double-encoded id is an invalid model identifier', async () => {
    const r = await raw(
      'POST',
      `/model/${encodeURIComponent(encodeURIComponent(HAIKU))}/converse`,
      bearer(LONG_TERM_API_KEY),
      converseBody('x'),
    );
    expectError(r, 400, 'ValidationException', 'The provided model identifier is invalid.');
  });

  it('a profile geography that does not carry the model is invalid', async () => {
    const r = await raw(
      'POST',
      modelPath('global.anthropic.claude-3-haiku-20240307-v1:0'),
      bearer(LONG_TERM_API_KEY),
      converseBody('x'),
    );
    expectError(r, 400, 'ValidationException', 'The provided model identifier is invalid.');
  });
});

describe('bad input is a clean 4xx, never a crash', () => {
  it('non-JSON body', async () => {
    const r = await raw('POST', modelPath(HAIKU), bearer(LONG_TERM_API_KEY), '{"messages": [');
    expectError(r, 400, 'ValidationException', 'Malformed input request, please reformat your input and try again.');
  });

  it('empty body and JSON that is not an object', async () => {
    for (const body of ['', 'null', '[]', '42', '"x"']) {
      const r = await raw('POST', modelPath(HAIKU), bearer(LONG_TERM_API_KEY), body);
      expect(r.status, `${body} -> ${r.text}`).toBe(400);
      expect(String(r.headers['x-amzn-errortype']).split(':')[0]).toBe('ValidationException');
    }
  });

  it('unknown top-level key', async () => {
    const r = await raw(
      'POST',
      modelPath(HAIKU),
      bearer(LONG_TERM_API_KEY),
      JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'x' }] }], temperature: 1 }),
    );
    expectError(
      r,
      400,
      'ValidationException',
      'Malformed input request: extraneous key [temperature] is not permitted, please reformat your input and try again.',
    );
  });

  it('missing messages', async () => {
    const r = await raw('POST', modelPath(HAIKU), bearer(LONG_TERM_API_KEY), '{}');
    // AWS writes a missing member as an unquoted null.
    expectError(
      r,
      400,
      'ValidationException',
      "1 validation error detected: Value null at 'messages' failed to satisfy constraint: Member must not be null",
    );
  });

  it('role outside the enum, with the AWS path form (1-based, member segments)', async () => {
    const r = await raw(
      'POST',
      modelPath(HAIKU),
      bearer(LONG_TERM_API_KEY),
      JSON.stringify({ messages: [{ role: 'system', content: [{ text: 'x' }] }] }),
    );
    expectError(
      r,
      400,
      'ValidationException',
      /^1 validation error detected: Value 'system' at 'messages\.1\.member\.role' failed to satisfy constraint: Member must satisfy enum value set: \[/,
    );
  });

  it('unknown operation and unknown route', async () => {
    const r = await raw(
      'POST',
      `/model/${encodeURIComponent(HAIKU)}/chat`,
      bearer(LONG_TERM_API_KEY),
      converseBody('x'),
    );
    expectError(r, 404, 'UnknownOperationException');
    const r2 = await raw('GET', '/nothing/here', bearer(LONG_TERM_API_KEY));
    expectError(r2, 404, 'UnknownOperationException');
  });

  it('the emulator is still healthy after all of that', async () => {
    const r = await admin('GET', 'health');
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ status: 'ok' });
  });
});

function decodeFrames(
  buf: Buffer,
): Array<{ headers: Record<string, unknown>; payload: Record<string, unknown> | null }> {
  const out: Array<{ headers: Record<string, unknown>; payload: Record<string, unknown> | null }> = [];
  let offset = 0;
  while (offset < buf.length) {
    const total = buf.readUInt32BE(offset);
    // decode() verifies both CRCs and throws on a mismatch.
    const msg = codec.decode(new Uint8Array(buf.subarray(offset, offset + total)));
    const headers: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(msg.headers)) headers[k] = v.value;
    const text = Buffer.from(msg.body).toString();
    out.push({ headers, payload: text ? (JSON.parse(text) as Record<string, unknown>) : null });
    offset += total;
  }
  return out;
}

describe('event-stream framing', () => {
  it('ConverseStream frames carry valid CRCs, Bedrock headers and p padding on every event', async () => {
    const r = await raw(
      'POST',
      modelPath(HAIKU, 'converse-stream'),
      bearer(LONG_TERM_API_KEY),
      converseBody('alpha beta gamma delta'),
    );
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/vnd.amazon.eventstream');
    expect(r.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    const frames = decodeFrames(r.body);
    for (const f of frames) {
      expect(f.headers[':message-type']).toBe('event');
      expect(f.headers[':content-type']).toBe('application/json');
      expect(typeof f.payload?.p).toBe('string');
      expect(f.payload?.p).toMatch(/^[A-Za-z0-9]*$/);
    }
    const types = frames.map((f) => f.headers[':event-type']);
    expect(types[0]).toBe('messageStart');
    expect(types.slice(-2)).toEqual(['messageStop', 'metadata']);
    expect(frames[0]?.payload?.role).toBe('assistant');
    const text = frames
      .filter((f) => f.headers[':event-type'] === 'contentBlockDelta')
      .map((f) => (f.payload?.delta as { text?: string } | undefined)?.text)
      .join('');
    expect(text).toBe('Echo: alpha beta gamma delta');
    const paddings = new Set(frames.map((f) => String(f.payload?.p ?? '').length));
    expect(paddings.size).toBeGreaterThan(1); // random length
  });

  it('a stream-error fault ends the stream with an exception frame', async () => {
    await admin('POST', 'faults', {
      type: 'stream-error',
      afterEvents: 3,
      exception: 'modelStreamErrorException',
      message: 'boom',
    });
    const r = await raw(
      'POST',
      modelPath(HAIKU, 'converse-stream'),
      bearer(LONG_TERM_API_KEY),
      converseBody('a b c d e f g h i j'),
    );
    expect(r.status).toBe(200);
    const frames = decodeFrames(r.body);
    expect(frames).toHaveLength(4);
    const last = frames.at(-1);
    expect(last?.headers[':message-type']).toBe('exception');
    expect(last?.headers[':exception-type']).toBe('modelStreamErrorException');
    expect(last?.headers[':content-type']).toBe('application/json');
    expect(last?.headers[':event-type']).toBeUndefined();
    expect(last?.payload).toMatchObject({ message: 'boom', originalStatusCode: 500 });
  });

  it('InvokeModelWithResponseStream on an embedding model is a JSON error before any frame', async () => {
    const r = await raw(
      'POST',
      modelPath('amazon.titan-embed-text-v2:0', 'invoke-with-response-stream'),
      bearer(LONG_TERM_API_KEY),
      JSON.stringify({ inputText: 'x' }),
    );
    expectError(r, 400, 'ValidationException', 'The model is unsupported for streaming.');
  });
});

describe('stream pacing', () => {
  it('timeToFirstTokenMs delays the first event, not the 200 headers (HTTP/1.1 and h2c)', async () => {
    await raw(
      'PUT',
      '/_emulator/config',
      { 'content-type': 'application/json' },
      JSON.stringify({ latency: { timeToFirstTokenMs: 400 } }),
    );
    try {
      const body = converseBody('paced stream');
      const h1 = await new Promise<{ headersAt: number; firstDataAt: number }>((resolve, reject) => {
        const t0 = performance.now();
        const req = h1request(
          {
            host: '127.0.0.1',
            port: emu.port,
            method: 'POST',
            path: modelPath(HAIKU, 'converse-stream'),
            headers: bearer(LONG_TERM_API_KEY),
          },
          (res) => {
            const headersAt = performance.now() - t0;
            res.once('data', () => resolve({ headersAt, firstDataAt: performance.now() - t0 }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(h1.headersAt).toBeLessThan(250);
      expect(h1.firstDataAt).toBeGreaterThanOrEqual(390);

      const session = h2connect(`http://127.0.0.1:${emu.port}`);
      try {
        const h2 = await new Promise<{ headersAt: number; firstDataAt: number }>((resolve, reject) => {
          const t0 = performance.now();
          let headersAt = -1;
          const stream = session.request({
            [h2c.HTTP2_HEADER_METHOD]: 'POST',
            [h2c.HTTP2_HEADER_PATH]: modelPath(HAIKU, 'converse-stream'),
            ...bearer(LONG_TERM_API_KEY),
          });
          stream.on('response', () => {
            headersAt = performance.now() - t0;
          });
          stream.once('data', () => resolve({ headersAt, firstDataAt: performance.now() - t0 }));
          stream.on('error', reject);
          stream.end(body);
        });
        expect(h2.headersAt).toBeGreaterThanOrEqual(0);
        expect(h2.headersAt).toBeLessThan(250);
        expect(h2.firstDataAt).toBeGreaterThanOrEqual(390);
      } finally {
        session.close();
      }
    } finally {
      await admin('POST', 'reset');
    }
  });
});

describe('InvokeModel headers', () => {
  it('reports token counts and latency in X-Amzn-Bedrock-* headers', async () => {
    const r = await raw(
      'POST',
      modelPath('amazon.titan-embed-text-v1', 'invoke'),
      { ...bearer(LONG_TERM_API_KEY), accept: 'application/json' },
      JSON.stringify({ inputText: 'twelve chars' }),
    );
    expect(r.status, r.text).toBe(200);
    expect(r.headers['x-amzn-bedrock-input-token-count']).toBe('3');
    expect(Number(r.headers['x-amzn-bedrock-invocation-latency'])).toBeGreaterThanOrEqual(0);
    const body = r.json() as { embedding: number[]; inputTextTokenCount: number };
    expect(body.embedding).toHaveLength(1536);
    expect(body.inputTextTokenCount).toBe(3);
  });

  it('refuses an Accept it cannot produce', async () => {
    const r = await raw(
      'POST',
      modelPath('amazon.titan-embed-text-v1', 'invoke'),
      { ...bearer(LONG_TERM_API_KEY), accept: 'image/png' },
      JSON.stringify({ inputText: 'x' }),
    );
    expect(r.status).toBe(400);
  });
});

describe('h2c (HTTP/2 prior knowledge) on the same port', () => {
  it('serves Converse and a stream over one HTTP/2 session', async () => {
    const session = h2connect(`http://127.0.0.1:${emu.port}`);
    try {
      const call = (path: string, body: string) =>
        new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
          const stream = session.request({
            [h2c.HTTP2_HEADER_METHOD]: 'POST',
            [h2c.HTTP2_HEADER_PATH]: path,
            authorization: `Bearer ${LONG_TERM_API_KEY}`,
            'content-type': 'application/json',
          });
          let headers: Record<string, unknown> = {};
          const chunks: Buffer[] = [];
          stream.on('response', (h) => {
            headers = h;
          });
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks) }));
          stream.on('error', reject);
          stream.end(body);
        });
      const [a, b] = await Promise.all([
        call(modelPath(HAIKU), converseBody('over h2')),
        call(modelPath(HAIKU, 'converse-stream'), converseBody('streamed over h2')),
      ]);
      expect(a.status).toBe(200);
      expect(JSON.parse(a.body.toString())).toMatchObject({
        output: { message: { content: [{ text: 'Echo: over h2' }] } },
      });
      expect(a.headers['x-amzn-requestid']).toBeTruthy();
      expect(b.status).toBe(200);
      const frames = decodeFrames(b.body);
      expect(frames.at(-1)?.headers[':event-type']).toBe('metadata');
    } finally {
      session.close();
    }
  });
});

describe('STS on the wire (awsQuery XML)', () => {
  const stsForm = (params: Record<string, string>) =>
    new URLSearchParams({ Version: '2011-06-15', ...params }).toString();
  const stsHeaders = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };

  it('answers errors as ErrorResponse XML with STS codes', async () => {
    const body = stsForm({
      Action: 'AssumeRoleWithWebIdentity',
      RoleArn: OPEN_ROLE,
      RoleSessionName: 'xx',
      WebIdentityToken: 'abcd',
    });
    const r = await raw('POST', '/', stsHeaders, body);
    expect(r.status).toBe(400);
    expect(String(r.headers['content-type'])).toContain('xml');
    expect(r.text).toContain('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">');
    expect(r.text).toMatch(/<Error>\s*<Type>Sender<\/Type>\s*<Code>InvalidIdentityToken<\/Code>/);
    expect(r.text).toMatch(/<RequestId>[0-9a-f-]{36}<\/RequestId>/);
  });

  it('answers InvalidAction for an unknown action and MissingAuthenticationToken for unsigned AssumeRole', async () => {
    const headers = await signed('/', stsForm({ Action: 'GetSessionTokenX' }), {
      service: 'sts',
      extraHeaders: stsHeaders,
    });
    const r = await raw('POST', '/', headers, stsForm({ Action: 'GetSessionTokenX' }));
    expect(r.status).toBe(400);
    expect(r.text).toContain('<Code>InvalidAction</Code>');
    expect(r.text).toContain('Could not find operation GetSessionTokenX for version 2011-06-15');
    const u = await raw(
      'POST',
      '/',
      stsHeaders,
      stsForm({ Action: 'AssumeRole', RoleArn: OPEN_ROLE, RoleSessionName: 'x' }),
    );
    expect(u.status).toBe(403);
    expect(u.text).toContain('<Code>MissingAuthenticationToken</Code>');
  });

  it('STS is faulted only by faults naming its action, with STS codes', async () => {
    const body = stsForm({ Action: 'GetCallerIdentity' });
    const send = async () =>
      raw('POST', '/', await signed('/', body, { service: 'sts', extraHeaders: stsHeaders }), body);
    await admin('POST', 'faults', { type: 'throttle', count: 1 }); // no operation: runtime only
    expect((await send()).status).toBe(200);
    await admin('DELETE', 'faults');
    await admin('POST', 'faults', [
      { type: 'throttle', operation: 'GetCallerIdentity', count: 1 },
      { type: 'error', status: 503, operation: 'GetCallerIdentity', count: 1 },
      { type: 'error', operation: 'ContainerCredentials', count: 1 },
    ]);
    const throttled = await send();
    expect(throttled.status).toBe(400);
    expect(throttled.text).toMatch(/<Code>Throttling<\/Code>\s*<Message>Rate exceeded<\/Message>/);
    const unavailable = await send();
    expect(unavailable.status).toBe(503);
    expect(unavailable.text).toContain('<Code>ServiceUnavailable</Code>');
    expect((await send()).status).toBe(200);
    const creds = await raw('GET', '/v1/credentials', { authorization: 'pod-token' });
    expect(creds.status).toBe(500);
    expect(String(creds.headers['content-type'])).toContain('application/json');
  });

  it('rejects a bedrock-scoped signature on STS', async () => {
    const body = stsForm({ Action: 'GetCallerIdentity' });
    const headers = await signed('/', body, { service: 'bedrock', extraHeaders: stsHeaders });
    const r = await raw('POST', '/', headers, body);
    expect(r.status).toBe(403);
    expect(r.text).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('serves GET /?Action=GetCallerIdentity signed with SigV4', async () => {
    const signer = new SignatureV4({ service: 'sts', region: 'us-east-1', credentials: ACCESS_KEY, sha256: Sha256 });
    const host = `127.0.0.1:${emu.port}`;
    const req = await signer.sign(
      httpRequest({
        method: 'GET',
        protocol: 'http:',
        hostname: host,
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host },
      }),
    );
    const r = await raw('GET', '/?Action=GetCallerIdentity&Version=2011-06-15', req.headers as Record<string, string>);
    expect(r.status, r.text).toBe(200);
    expect(r.text).toContain('<Arn>arn:aws:iam::111122223333:user/aigw-emulator-user</Arn>');
  });
});

const stsFormBody = (action: string) => new URLSearchParams({ Action: action, Version: '2011-06-15' }).toString();

describe('container credentials (EKS Pod Identity)', () => {
  it('serves credentials to the SDK http provider and 401 without a token', async () => {
    const provider = fromHttp({
      awsContainerCredentialsFullUri: `${emu.url}/v1/credentials`,
      awsContainerAuthorizationToken: 'pod-identity-token',
    });
    const creds = await provider();
    expect(creds.accessKeyId).toMatch(/^ASIA/);
    expect(creds.sessionToken).toBeTruthy();
    expect(creds.expiration?.getTime()).toBeGreaterThan(Date.now());
    // docs: the role BedrockOpen, session eks-pod-identity, one hour
    expect((creds.expiration?.getTime() ?? 0) - Date.now()).toBeLessThanOrEqual(3_600_000 + 5_000);
    const who = stsFormBody('GetCallerIdentity');
    const whoReq = await signed('/', who, {
      service: 'sts',
      credentials: {
        accessKeyId: creds.accessKeyId,
        secretAccessKey: creds.secretAccessKey,
        sessionToken: creds.sessionToken ?? '',
      },
      extraHeaders: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    });
    const whoAmI = await raw('POST', '/', whoReq, who);
    expect(whoAmI.text).toContain('<Arn>arn:aws:sts::111122223333:assumed-role/BedrockOpen/eks-pod-identity</Arn>');
    const r = await raw('GET', '/v1/credentials', {});
    expect(r.status).toBe(401);
    // the credentials work against the runtime
    const ok = await post(modelPath(HAIKU), converseBody('pod'), {
      credentials: {
        accessKeyId: creds.accessKeyId,
        secretAccessKey: creds.secretAccessKey,
        sessionToken: creds.sessionToken ?? '',
      },
    });
    expect(ok.status, ok.text).toBe(200);
  });
});

describe('admin API', () => {
  it('counts operations, principals, models, auth failures and injected faults', async () => {
    await admin('POST', 'reset');
    await raw('POST', modelPath(HAIKU), bearer(LONG_TERM_API_KEY), converseBody('count me'));
    await raw('POST', modelPath(HAIKU), { 'content-type': 'application/json' }, converseBody('no auth'));
    await admin('POST', 'faults', { type: 'throttle', count: 1 });
    const t = await raw('POST', modelPath(HAIKU), bearer(LONG_TERM_API_KEY), converseBody('throttled'));
    expectError(t, 429, 'ThrottlingException', 'Too many requests, please wait before trying again.');
    const stats = (await admin('GET', 'stats')).json() as {
      operations: Record<string, number>;
      principals: Record<string, number>;
      models: Record<string, number>;
      authFailures: Record<string, number>;
      faultsInjected: Record<string, number>;
    };
    expect(stats.operations.Converse).toBe(2);
    expect(stats.principals['arn:aws:iam::111122223333:user/aigw-emulator-user']).toBe(2);
    expect(stats.models[HAIKU]).toBe(2);
    expect(stats.authFailures.MissingAuthenticationTokenException).toBe(1);
    expect(stats.faultsInjected.throttle).toBe(1);
  });

  it('lists and clears faults; count-limited faults disappear when used up', async () => {
    const added = await admin('POST', 'faults', {
      faults: [
        { type: 'throttle', count: 1, retryAfterSeconds: 7 },
        { type: 'timeout', model: 'amazon.nova-lite-v1:0' },
      ],
    });
    expect(added.status).toBe(200);
    const listed = JSON.parse((await admin('GET', 'faults')).text) as unknown[] | { faults: unknown[] };
    const list = Array.isArray(listed) ? listed : listed.faults;
    expect(list).toHaveLength(2);
    const t = await raw('POST', modelPath(HAIKU), bearer(LONG_TERM_API_KEY), converseBody('x'));
    expect(t.status).toBe(429);
    expect(t.headers['retry-after']).toBe('7');
    const after = JSON.parse((await admin('GET', 'faults')).text) as unknown[] | { faults: unknown[] };
    expect(Array.isArray(after) ? after : after.faults).toHaveLength(1);
    // the timeout fault only matches its model
    expect((await raw('POST', modelPath(HAIKU), bearer(LONG_TERM_API_KEY), converseBody('x'))).status).toBe(200);
    const nova = await raw('POST', modelPath('us.amazon.nova-lite-v1:0'), bearer(LONG_TERM_API_KEY), converseBody('x'));
    expectError(nova, 408, 'ModelTimeoutException');
    await admin('DELETE', 'faults');
    const cleared = JSON.parse((await admin('GET', 'faults')).text) as unknown[] | { faults: unknown[] };
    expect(Array.isArray(cleared) ? cleared : cleared.faults).toHaveLength(0);
  });

  it('rejects a fault it does not understand with a clear 400', async () => {
    const r = await admin('POST', 'faults', { type: 'explode' });
    expect(r.status).toBe(400);
    const r2 = await raw('POST', '/_emulator/faults', { 'content-type': 'application/json' }, '{not json');
    expect(r2.status).toBe(400);
    // A typo must not leave a fault that never fires (operation) or never stops (count).
    for (const bad of [
      { type: 'throttle', operation: 'converse' },
      { type: 'throttle', count: 0 },
      { type: 'throttle', count: -1 },
      { type: 'throttle', count: 1.5 },
      { type: 'throttle', count: '2' },
      [
        { type: 'throttle', count: 1 },
        { type: 'error', operation: 'Chat' },
      ],
    ]) {
      const r3 = await admin('POST', 'faults', bad);
      expect(r3.status, JSON.stringify(bad)).toBe(400);
      expect(String(r3.json().message)).toMatch(/^A fault (operation|count) is /);
    }
    const listed = JSON.parse((await admin('GET', 'faults')).text) as { faults: unknown[] };
    expect(listed.faults).toEqual([]); // nothing from a refused list was added
  });

  it('a drop fault closes the connection without a response', async () => {
    await admin('POST', 'faults', { type: 'drop', count: 1 });
    await expect(raw('POST', modelPath(HAIKU), bearer(LONG_TERM_API_KEY), converseBody('x'))).rejects.toThrow();
    expect((await raw('POST', modelPath(HAIKU), bearer(LONG_TERM_API_KEY), converseBody('x'))).status).toBe(200);
  });

  it('latency config delays replies and reset restores it', async () => {
    const put = await raw(
      'PUT',
      '/_emulator/config',
      { 'content-type': 'application/json' },
      JSON.stringify({ latency: { fixedMs: 300 } }),
    );
    expect(put.status).toBe(200);
    const t0 = Date.now();
    await raw('POST', modelPath(HAIKU), bearer(LONG_TERM_API_KEY), converseBody('slow'));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(((await admin('GET', 'config')).json() as { latency: { fixedMs: number } }).latency.fixedMs).toBe(300);
    await admin('POST', 'reset');
    expect(((await admin('GET', 'config')).json() as { latency: { fixedMs: number } }).latency.fixedMs).toBe(0);
  });
});

describe('aigw emulator --config FILE', () => {
  it('refuses a missing or invalid file with a message and exit code 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aigw-emu-acc-'));
    try {
      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, 'latency: { fixedMs: -3 }\n');
      for (const [file, pattern] of [
        [bad, /bad\.yaml.*fixedMs/],
        [join(dir, 'missing.yaml'), /missing\.yaml/],
      ] as const) {
        await expect(spawnEmulator(['--config', file])).rejects.toThrow(/exited with 1/);
        // the reason is printed for the user
        await expect(spawnEmulator(['--config', file])).rejects.toThrow(pattern);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pins the region and adds identities from the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aigw-emu-acc-'));
    const file = join(dir, 'emulator.yaml');
    await writeFile(
      file,
      [
        'region: eu-west-1',
        'identity:',
        '  users: [{ name: ci, accessKeyId: AKIACI0000000000000, secretAccessKey: s3cr3t }]',
        '  apiKeys: [{ key: ABSKY2lrZXk, user: ci }]',
        '  deniedModels: [amazon.nova-lite-v1:0]',
        '  roles: [{ arn: "arn:aws:iam::111122223333:role/Batch", externalId: batch-ext, maxSessionDuration: 3600 }]',
        '',
      ].join('\n'),
    );
    const pinned = await spawnEmulator(['--config', file]);
    const saved = emu;
    emu = pinned;
    try {
      const ci = { accessKeyId: 'AKIACI0000000000000', secretAccessKey: 's3cr3t' };
      const ok = await post(modelPath(HAIKU), converseBody('ci'), { credentials: ci, region: 'eu-west-1' });
      expect(ok.status, ok.text).toBe(200);
      const wrongRegion = await post(modelPath(HAIKU), converseBody('ci'), { credentials: ci, region: 'us-east-1' });
      expectError(wrongRegion, 403, 'InvalidSignatureException', /^Credential should be scoped to a valid region\./);
      const key = await raw('POST', modelPath(HAIKU), bearer('ABSKY2lrZXk'), converseBody('key'));
      expect(key.status, key.text).toBe(200);
      const denied = await raw('POST', modelPath('eu.amazon.nova-lite-v1:0'), bearer('ABSKY2lrZXk'), converseBody('x'));
      expectError(
        denied,
        403,
        'AccessDeniedException',
        "You don't have access to the model with the specified model ID.",
      );
      const assume = async (params: Record<string, string>) => {
        const form = new URLSearchParams({
          Action: 'AssumeRole',
          Version: '2011-06-15',
          RoleSessionName: 'cfg',
          ...params,
        }).toString();
        const headers = await signed('/', form, {
          service: 'sts',
          region: 'eu-west-1',
          credentials: ci,
          extraHeaders: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        });
        return raw('POST', '/', headers, form);
      };
      const role = 'arn:aws:iam::111122223333:role/Batch';
      expect((await assume({ RoleArn: role })).status).toBe(403); // external id required
      const tooLong = await assume({ RoleArn: role, ExternalId: 'batch-ext', DurationSeconds: '7200' });
      expect(tooLong.status).toBe(400);
      expect(tooLong.text).toContain('<Code>ValidationError</Code>');
      const ok2 = await assume({ RoleArn: role, ExternalId: 'batch-ext', DurationSeconds: '3600' });
      expect(ok2.status, ok2.text).toBe(200);
      expect(ok2.text).toContain('<Arn>arn:aws:sts::111122223333:assumed-role/Batch/cfg</Arn>');
      const foreignKey = await shortTermKey({ region: 'us-west-2' });
      expectError(
        await raw('POST', modelPath(HAIKU), bearer(foreignKey), converseBody('x')),
        403,
        'AccessDeniedException',
        'Authentication failed: Please make sure your API Key is valid.',
      );
    } finally {
      emu = saved;
      await pinned.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
