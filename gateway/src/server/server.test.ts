import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConfigDir,
  DEMO_KEY,
  makeConfigDir,
  NOVA_LITE,
  OUTSIDER_KEY,
  OUTSIDER_KEY_MANIFEST,
  SONNET,
} from '../../../test/helpers/config-dir.js';
import { FakeUpstream, streamEvents } from '../../../test/helpers/fake-upstream.js';
import { ManifestDirSource } from '../config/index.js';
import { GatewayError } from '../errors/index.js';
import { type RunningGateway, startGateway } from './index.js';

let config: ConfigDir;
let gateway: RunningGateway;
const upstream = new FakeUpstream();
const SA_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaGVja291dCJ9.c2lnbmF0dXJl';
const LONELY_SA_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvdGhlciJ9.c2lnbmF0dXJl';

beforeAll(async () => {
  config = await makeConfigDir({ extraFiles: { 'outsider.yaml': OUTSIDER_KEY_MANIFEST } });
  gateway = await startGateway({
    source: new ManifestDirSource(config.dir),
    port: 0,
    adminPort: 0,
    upstream,
    logger: pino({ level: 'silent' }),
    mediaFetcher: null,
    server: { bodyLimitBytes: 64 * 1024 },
    watch: false,
    identityReviewer: {
      // Stands in for Kubernetes TokenReview: one service account in group `demo`, one in no group.
      review: async (token) =>
        token === SA_TOKEN
          ? { username: 'system:serviceaccount:apps:checkout', groups: ['demo', 'system:serviceaccounts'] }
          : token === LONELY_SA_TOKEN
            ? { username: 'system:serviceaccount:apps:other', groups: [] }
            : undefined,
    },
  });
});
afterAll(async () => {
  await gateway?.close();
  await config?.remove();
});

function call(path: string, init: RequestInit & { key?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key !== null) headers.set('authorization', `Bearer ${init.key ?? DEMO_KEY}`);
  return fetch(`${gateway.url}${path}`, { ...init, headers });
}
function chat(body: unknown, key?: string | null): Promise<Response> {
  return call('/v1/chat/completions', {
    method: 'POST',
    key,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
async function errorOf(res: Response): Promise<{ message: string; type: string; param: string | null; code: string }> {
  const body = (await res.json()) as { error: { message: string; type: string; param: string | null; code: string } };
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  return body.error;
}

describe('request ids', () => {
  it('generates one, echoes a sane incoming one, replaces a malformed one', async () => {
    const generated = await call('/v1/models');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await call('/v1/models', { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-abc.123');
    const replaced = await call('/v1/nowhere', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(replaced.status).toBe(404);
  });
});

describe('caller auth and /v1/models', () => {
  it('401s without a key and with an unknown key', async () => {
    const missing = await call('/v1/models', { key: null });
    expect(missing.status).toBe(401);
    expect((await errorOf(missing)).code).toBe('missing_api_key');
    const wrong = await call('/v1/models', { key: 'sk-not-a-key' });
    expect(wrong.status).toBe(401);
    expect((await errorOf(wrong)).code).toBe('invalid_api_key');
    const basic = await call('/v1/models', { key: null, headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    expect((await errorOf(basic)).code).toBe('invalid_api_key');
  });

  it('lists only the models of accounts the caller collaborates on', async () => {
    const demo = (await (await call('/v1/models')).json()) as {
      object: string;
      data: { id: string; owned_by: string }[];
    };
    expect(demo.object).toBe('list');
    expect(demo.data.map((m) => m.id)).toContain(SONNET);
    expect(demo.data.find((m) => m.id === SONNET)?.owned_by).toBe('demo');
    const outsider = (await (await call('/v1/models', { key: OUTSIDER_KEY })).json()) as { data: unknown[] };
    expect(outsider.data).toEqual([]);
  });

  it('retrieves a model by its account/model id, raw or percent-encoded, and hides forbidden ones', async () => {
    const raw = await call(`/v1/models/${SONNET}`);
    expect(raw.status).toBe(200);
    expect(await raw.json()).toMatchObject({ id: SONNET, object: 'model', owned_by: 'demo' });
    const encoded = await call(`/v1/models/${encodeURIComponent(SONNET)}`);
    expect(encoded.status).toBe(200);
    const hidden = await call(`/v1/models/${SONNET}`, { key: OUTSIDER_KEY });
    expect(hidden.status).toBe(404);
    expect((await errorOf(hidden)).code).toBe('model_not_found');
  });
});

describe('in-cluster callers (service-account tokens)', () => {
  it('authorises a verified service account through its groups and refuses unknown tokens', async () => {
    const listed = (await (await call('/v1/models', { key: SA_TOKEN })).json()) as { data: { id: string }[] };
    expect(listed.data.map((m) => m.id)).toContain(SONNET);
    const ok = await chat({ model: SONNET, messages: [{ role: 'user', content: 'hi' }] }, SA_TOKEN);
    expect(ok.status).toBe(200);
    const lonely = await chat({ model: SONNET, messages: [{ role: 'user', content: 'hi' }] }, LONELY_SA_TOKEN);
    expect(lonely.status).toBe(403);
    const forged = await call('/v1/models', { key: 'eyJhbGciOiJub25lIn0.e30.' + 'x' });
    expect(forged.status).toBe(401);
  });
});

describe('chat completions', () => {
  it('translates a non-streaming call through the upstream', async () => {
    const res = await chat({ model: SONNET, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; model: string; choices: { message: { content: string } }[] };
    expect(body.object).toBe('chat.completion');
    expect(body.model).toBe(SONNET);
    expect(body.choices[0]?.message.content).toBe('Hello from the fake upstream');
    const last = upstream.calls.at(-1)!;
    expect(last).toMatchObject({
      operation: 'converse',
      modelId: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      region: 'us-east-1',
    });
    expect(last.credentials).toMatchObject({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE' });
  });

  it('403s a model of an account the caller is not a collaborator of, 404s an unknown model', async () => {
    const forbidden = await chat({ model: SONNET, messages: [{ role: 'user', content: 'hi' }] }, OUTSIDER_KEY);
    expect(forbidden.status).toBe(403);
    expect(await errorOf(forbidden)).toMatchObject({ code: 'model_access_denied', param: 'model' });
    const unknown = await chat({ model: 'demo/nope', messages: [{ role: 'user', content: 'hi' }] });
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toMatchObject({ code: 'model_not_found', param: 'model' });
  });

  it('refuses a non-chat model on the chat route', async () => {
    const res = await chat({ model: 'demo/amazon-titan-embed-text-v2-0', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/embedding model/);
  });

  it('streams SSE chunks and ends with [DONE]', async () => {
    upstream.script = { events: streamEvents('alpha beta') };
    const res = await chat({ model: NOVA_LITE, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const text = await res.text();
    const events = text.trim().split('\n\n');
    expect(events.at(-1)).toBe('data: [DONE]');
    const content = events
      .slice(0, -1)
      .map((e) => JSON.parse(e.slice(6)) as { choices: { delta: { content?: string } }[] })
      .map((c) => c.choices[0]?.delta.content ?? '')
      .join('');
    expect(content).toBe('alpha beta');
  });

  it('ends a stream that fails after it started with an error event and no [DONE]', async () => {
    upstream.script = {
      events: streamEvents('partial answer').slice(0, 2),
      failWith: new GatewayError('upstream_unavailable', 'Bedrock is unavailable.'),
    };
    const res = await chat({ model: NOVA_LITE, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('[DONE]');
    const last = text.trim().split('\n\n').at(-1)!;
    expect(JSON.parse(last.slice(6))).toEqual({
      error: { message: 'Bedrock is unavailable.', type: 'api_error', param: null, code: 'upstream_unavailable' },
    });
    upstream.script = { events: streamEvents('one two three') };
  });

  it('maps an upstream error before the stream started to its status, with Retry-After', async () => {
    upstream.sendError = new GatewayError('rate_limit_exceeded', 'Too many requests.', { retryAfterSeconds: 2 });
    try {
      const res = await chat({ model: NOVA_LITE, stream: true, messages: [{ role: 'user', content: 'hi' }] });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('2');
      expect((await errorOf(res)).code).toBe('rate_limit_exceeded');
    } finally {
      upstream.sendError = undefined;
    }
  });
});

describe('framework errors in OpenAI shape', () => {
  it('400s invalid JSON and 413s an oversized body', async () => {
    const bad = await call('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":',
    });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe('invalid_json');
    const big = await chat({ model: NOVA_LITE, messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] });
    expect(big.status).toBe(413);
    expect(await errorOf(big)).toMatchObject({ code: 'request_too_large', message: expect.stringContaining('64 KiB') });
  });

  it('415s a body that is not JSON', async () => {
    const res = await call('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(res.status).toBe(415);
    expect((await errorOf(res)).code).toBe('unsupported_media_type');
  });

  it('404s unsupported OpenAI surfaces by name and unknown URLs; the Batch API is served', async () => {
    const responses = await call('/v1/responses', { method: 'POST' });
    expect(responses.status).toBe(404);
    expect(await errorOf(responses)).toMatchObject({
      code: 'unsupported_endpoint',
      message: expect.stringContaining('The Responses API (/v1/responses) is not supported for Amazon Bedrock'),
    });
    const audio = await call('/v1/audio/transcriptions', { method: 'POST' });
    expect((await errorOf(audio)).message).toContain('Audio API');
    const unknown = await call('/v1/frobnicate');
    expect(await errorOf(unknown)).toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('GET /v1/frobnicate'),
    });
    const batches = await call('/v1/batches', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(batches.status).toBe(400);
    expect(await errorOf(batches)).toMatchObject({ code: 'missing_required_parameter', param: 'input_file_id' });
  });

  it('answers a path it cannot decode in OpenAI error shape with a request id', async () => {
    for (const path of ['/v1/models/%ZZ', '/v1/batches/%E0%A4%A', '/v1/files/%ZZ/content']) {
      const res = await call(path);
      expect(res.status, path).toBe(400);
      expect(res.headers.get('x-request-id')).toBeTruthy();
      expect(await errorOf(res)).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request' });
    }
  });

  it('405s a wrong method with Allow', async () => {
    const res = await call('/v1/chat/completions');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect((await errorOf(res)).code).toBe('method_not_allowed');
    const del = await call('/v1/models', { method: 'DELETE' });
    expect(del.status).toBe(405);
  });
});

describe('admin server', () => {
  it('serves healthz, readyz with the revision, and metrics with request counts', async () => {
    const admin = gateway.admin!.url;
    expect((await fetch(`${admin}/healthz`)).status).toBe(200);
    const ready = await fetch(`${admin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, revision: gateway.store.current?.revision });
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toMatch(
      /aigw_requests_total\{route="chat",account="demo",model="global-anthropic-claude-sonnet-4-5-20250929-v1-0",status="200"\} \d+/,
    );
    expect(metrics).toMatch(
      /aigw_tokens_total\{account="demo",model="global-anthropic-claude-sonnet-4-5-20250929-v1-0",kind="input"\} \d+/,
    );
    expect(metrics).toContain('aigw_gateway_overhead_seconds_bucket');
    expect(metrics).toContain('aigw_time_to_first_token_seconds_bucket');
    expect(metrics).toMatch(/aigw_config_revision_info\{revision="[0-9a-f]+"\} 1/);
  });
});

describe('startup failures', () => {
  it('fails to start when the admin port is taken and frees the API port again', async () => {
    const second = startGateway({
      source: new ManifestDirSource(config.dir),
      port: 0,
      adminPort: gateway.admin!.port,
      upstream: new FakeUpstream(),
      logger: pino({ level: 'silent' }),
      mediaFetcher: null,
      watch: false,
    });
    await expect(second).rejects.toThrow(/EADDRINUSE/);
  });

  it('refuses to start on a config with problems, naming them', async () => {
    const bad = await makeConfigDir({
      extraFiles: {
        'bad.yaml':
          'apiVersion: aigateway.dev/v1alpha1\nkind: Model\nmetadata: { name: x }\nspec: { account: demo, modelId: "??" }\n',
      },
    });
    try {
      await expect(
        startGateway({
          source: new ManifestDirSource(bad.dir),
          port: 0,
          adminPort: null,
          upstream: new FakeUpstream(),
          logger: pino({ level: 'silent' }),
          mediaFetcher: null,
          watch: false,
        }),
      ).rejects.toThrow(/config rejected: .*bad\.yaml#1 spec\.modelId/);
    } finally {
      await bad.remove();
    }
  });
});

describe('answers from Bedrock', () => {
  it('a tool input nested thousands of levels deep is a 502, not a stack overflow', async () => {
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    upstream.rawReply = `{"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"f","input":${deep}}}]}},"stopReason":"tool_use","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":1}}`;
    try {
      const res = await chat({
        model: NOVA_LITE,
        messages: [{ role: 'user', content: 'call f' }],
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      });
      expect(res.status).toBe(502);
      expect((await errorOf(res)).code).toBe('upstream_error');
    } finally {
      upstream.rawReply = undefined;
    }
    const ok = await chat({ model: NOVA_LITE, messages: [{ role: 'user', content: 'hi' }] });
    expect(ok.status).toBe(200);
  });
});
