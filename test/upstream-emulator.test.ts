/**
 * The upstream client against the Bedrock emulator: every auth scheme is accepted by a real SigV4 /
 * bearer verifier, STS is called once per account, and injected faults are retried or surfaced as the
 * mapped errors.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../emulator/src/index.js';
import type { AccountCredentials, CompiledAccount } from '../gateway/src/config/index.js';
import { GatewayError } from '../gateway/src/errors/index.js';
import { BedrockUpstream, type UpstreamCall, type UpstreamEvent } from '../gateway/src/upstream/index.js';

const ACCESS_KEYS: AccountCredentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const API_KEY: AccountCredentials = { apiKey: 'ABSKRW11bGF0b3JEZW1vS2V5' };
const ROLE_ARN = 'arn:aws:iam::111122223333:role/BedrockAccess';
const EXTERNAL_ID = 'aigw-demo-external-id';
const MODEL = 'us.anthropic.claude-3-5-sonnet-20241022-v2:0';
const BODY = JSON.stringify({
  messages: [{ role: 'user', content: [{ text: 'Say hello.' }] }],
  inferenceConfig: { maxTokens: 50 },
});

let emulator: RunningEmulator;
let upstream: BedrockUpstream;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  upstream = new BedrockUpstream({ retryBaseMs: 5, retryCapMs: 20 });
});

afterAll(async () => {
  await upstream?.close();
  await emulator?.close();
});

beforeEach(async () => {
  await admin('POST', '/_emulator/reset');
});

async function admin(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return response.json();
}

interface Stats {
  operations: Record<string, number>;
  sts: Record<string, number>;
  authFailures: Record<string, number>;
  faultsInjected: Record<string, number>;
}
const stats = () => admin('GET', '/_emulator/stats') as Promise<Stats>;

function account(name: string, auth: CompiledAccount['auth']): CompiledAccount {
  return {
    name,
    namespace: 'ai',
    region: 'us-east-1',
    endpoint: emulator.url,
    stsEndpoint: emulator.url,
    auth,
    collaborators: [],
  };
}
const accessKeyAccount = () => account('keys', { type: 'accessKey' });
const roleAccount = (externalId = EXTERNAL_ID) =>
  account(`role-${externalId}`, {
    type: 'assumeRole',
    roleArn: ROLE_ARN,
    externalId,
    sessionName: 'aigateway',
    durationSeconds: 900,
    hasSourceCredentials: true,
  });

function call(
  acct: CompiledAccount,
  credentials: AccountCredentials | undefined,
  extra: Partial<UpstreamCall> = {},
): UpstreamCall {
  return {
    account: acct,
    credentials,
    region: 'us-east-1',
    modelId: MODEL,
    operation: 'converse',
    body: BODY,
    signal: new AbortController().signal,
    ...extra,
  };
}

/** Runs `fn` with only the given AWS_* variables set (and no shared config files or instance metadata). */
async function withAwsEnv(vars: Record<string, string>, fn: () => Promise<void>): Promise<void> {
  const saved = { ...process.env };
  try {
    for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
    Object.assign(process.env, {
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
      ...vars,
    });
    await fn();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

function text(body: Uint8Array): unknown {
  return JSON.parse(Buffer.from(body).toString('utf8'));
}

async function collect(stream: AsyncIterable<UpstreamEvent>): Promise<UpstreamEvent[]> {
  const events: UpstreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected a GatewayError');
}

describe('upstream ⇄ emulator: authentication', () => {
  it('access keys (SigV4) are accepted', async () => {
    const result = await upstream.send(call(accessKeyAccount(), ACCESS_KEYS));
    expect(result.status).toBe(200);
    expect(result.requestId).not.toBe('');
    expect(text(result.body)).toMatchObject({ output: { message: { role: 'assistant' } } });
  });

  it('a Bedrock API key (bearer) is accepted', async () => {
    const result = await upstream.send(call(account('apikey', { type: 'apiKey' }), API_KEY));
    expect(result.status).toBe(200);
  });

  it('an assumed role is accepted, with one STS call for 50 concurrent requests', async () => {
    const acct = roleAccount();
    const results = await Promise.all(Array.from({ length: 50 }, () => upstream.send(call(acct, ACCESS_KEYS))));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const s = await stats();
    expect(s.sts.AssumeRole).toBe(1);
    expect(s.operations.Converse).toBe(50);
  });

  it('the default chain (EKS Pod Identity) is accepted', async () => {
    await withAwsEnv(
      {
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${emulator.url}/v1/credentials`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: 'pod-identity-token',
      },
      async () => {
        const chain = new BedrockUpstream();
        try {
          const result = await chain.send(call(account('pod-identity', { type: 'default' }), undefined));
          expect(result.status).toBe(200);
          expect((await stats()).sts.ContainerCredentials).toBe(1);
        } finally {
          await chain.close();
        }
      },
    );
  });

  it('the default chain (IRSA web identity) is accepted, through the account stsEndpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aigw-irsa-'));
    const claims = {
      iss: 'https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE',
      sub: 'system:serviceaccount:ai:aigw',
      aud: 'sts.amazonaws.com',
      exp: Math.floor(Date.now() / 1000) + 3600,
    };
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    await writeFile(join(dir, 'token'), `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}.c2lnbmF0dXJl`);
    try {
      await withAwsEnv(
        {
          AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'token'),
          AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/BedrockOpen',
          AWS_ROLE_SESSION_NAME: 'aigw',
        },
        async () => {
          const chain = new BedrockUpstream();
          try {
            const result = await chain.send(call(account('irsa', { type: 'default' }), undefined));
            expect(result.status).toBe(200);
            expect((await stats()).sts.AssumeRoleWithWebIdentity).toBe(1);
          } finally {
            await chain.close();
          }
        },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a wrong external id is a 403 upstream_access_denied', async () => {
    const error = await failure(upstream.send(call(roleAccount('not-the-external-id'), ACCESS_KEYS)));
    expect(error.code).toBe('upstream_access_denied');
    expect(error.status).toBe(403);
    expect((await stats()).operations.Converse ?? 0).toBe(0);
  });

  it('a wrong secret is a 403 upstream_access_denied that does not echo signer internals', async () => {
    const error = await failure(
      upstream.send(call(account('bad', { type: 'accessKey' }), { ...ACCESS_KEYS, secretAccessKey: 'wrong' })),
    );
    expect(error.code).toBe('upstream_access_denied');
    expect(error.message).not.toMatch(/Canonical String|String-to-Sign|wrong/);
  });
});

describe('upstream ⇄ emulator: streams, retries and faults', () => {
  it('decodes a ConverseStream from messageStart to metadata', async () => {
    const stream = await upstream.stream(call(accessKeyAccount(), ACCESS_KEYS, { operation: 'converse-stream' }));
    const events = await collect(stream);
    expect(events[0]?.type).toBe('messageStart');
    expect(events.map((e) => e.type)).toContain('contentBlockDelta');
    expect(events.at(-1)?.type).toBe('metadata');
    expect(stream.timing.firstEventMs).toBeDefined();
  });

  it('calls InvokeModel with a native body and returns its headers', async () => {
    const result = await upstream.send(
      call(accessKeyAccount(), ACCESS_KEYS, {
        modelId: 'amazon.titan-embed-text-v2:0',
        operation: 'invoke',
        body: JSON.stringify({ inputText: 'hello world', dimensions: 256 }),
      }),
    );
    const body = text(result.body) as { embedding: number[]; inputTextTokenCount: number };
    expect(body.embedding).toHaveLength(256);
    expect(result.headers['content-type']).toContain('application/json');
  });

  it('retries an injected throttle and succeeds', async () => {
    await admin('POST', '/_emulator/faults', { type: 'throttle', count: 1 });
    const result = await upstream.send(call(accessKeyAccount(), ACCESS_KEYS));
    expect(result.attempts).toBe(2);
    expect((await stats()).faultsInjected.throttle).toBe(1);
  });

  it('retries a dropped connection', async () => {
    await admin('POST', '/_emulator/faults', { type: 'drop', count: 1 });
    const result = await upstream.send(call(accessKeyAccount(), ACCESS_KEYS));
    expect(result.attempts).toBe(2);
  });

  it('does not retry a validation error', async () => {
    const error = await failure(upstream.send(call(accessKeyAccount(), ACCESS_KEYS, { body: '{"messages":"nope"}' })));
    expect(error.code).toBe('invalid_request');
    expect((await stats()).operations.Converse).toBe(1);
  });

  it('hints at inference profiles when a model needs one', async () => {
    const error = await failure(
      upstream.send(call(accessKeyAccount(), ACCESS_KEYS, { modelId: 'anthropic.claude-3-5-sonnet-20241022-v2:0' })),
    );
    expect(error.code).toBe('invalid_request');
    expect(error.message).toMatch(/inference profile/);
  });

  it('turns a mid-stream exception event into the mapped GatewayError', async () => {
    await admin('POST', '/_emulator/faults', {
      type: 'stream-error',
      afterEvents: 2,
      exception: 'throttlingException',
      count: 1,
    });
    const stream = await upstream.stream(call(accessKeyAccount(), ACCESS_KEYS, { operation: 'converse-stream' }));
    const seen: string[] = [];
    const error = await failure(
      (async () => {
        for await (const event of stream) seen.push(event.type);
      })(),
    );
    expect(seen).toHaveLength(2);
    expect(error.code).toBe('rate_limit_exceeded');
  });

  it('retries a stream whose first frame is a throttling exception: nothing had reached the caller', async () => {
    await admin('POST', '/_emulator/faults', {
      type: 'stream-error',
      afterEvents: 0,
      exception: 'throttlingException',
      count: 1,
    });
    const stream = await upstream.stream(call(accessKeyAccount(), ACCESS_KEYS, { operation: 'converse-stream' }));
    expect(stream.attempts).toBe(2);
    const events = await collect(stream);
    expect(events[0]?.type).toBe('messageStart');
    expect(events.at(-1)?.type).toBe('metadata');
  });

  it('a stream that keeps failing at its first frame rejects stream() itself (an ordinary error, no 200)', async () => {
    await admin('POST', '/_emulator/faults', {
      type: 'stream-error',
      afterEvents: 0,
      exception: 'validationException',
      count: 5,
    });
    const error = await failure(
      upstream.stream(call(accessKeyAccount(), ACCESS_KEYS, { operation: 'converse-stream' })),
    );
    expect(error.code).toBe('invalid_request');
    // A validation error is not retried.
    expect((await stats()).faultsInjected['stream-error']).toBe(1);
    await admin('DELETE', '/_emulator/faults');
  });

  it('aborting mid-stream ends the iteration at once and closes the upstream request', async () => {
    await admin('PUT', '/_emulator/config', { latency: { interTokenDelayMs: 200 } });
    try {
      const controller = new AbortController();
      const stream = await upstream.stream(
        call(accessKeyAccount(), ACCESS_KEYS, { operation: 'converse-stream', signal: controller.signal }),
      );
      const started = Date.now();
      const error = await failure(
        (async () => {
          for await (const event of stream) {
            if (event.type === 'messageStart') controller.abort();
          }
        })(),
      );
      expect(error.code).toBe('client_closed_request');
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await admin('PUT', '/_emulator/config', { latency: { interTokenDelayMs: 0 } });
    }
  });
});
