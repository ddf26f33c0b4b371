/**
 * The gateway's chat surface as an application sees it through the official openai SDK, against the
 * Bedrock emulator (whose replies are `Echo: <last user text>`, docs/emulator.md).
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_KEY, NOVA_LITE, OUTSIDER_KEY, OUTSIDER_KEY_MANIFEST, SONNET } from '../helpers/config-dir.js';
import { type Stack, startStack } from '../helpers/stack.js';

const ROLE_MODEL = 'demo-role/us-anthropic-claude-3-5-haiku-20241022-v1-0';
const APIKEY_MODEL = 'demo-apikey/amazon-nova-micro-v1-0';
const ARN_MODEL = 'demo/amazon-nova-pro-v1-0';
const MISTRAL_US_WEST_2 = 'demo/mistral-mistral-large-2407-v1-0';

let stack: Stack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startStack({ extraFiles: { 'outsider.yaml': OUTSIDER_KEY_MANIFEST } });
  client = stack.client();
});
afterAll(async () => {
  await stack?.close();
});
afterEach(async () => {
  await fetch(`${stack.emulator.url}/_emulator/faults`, { method: 'DELETE' });
});

function injectFault(fault: Record<string, unknown>): Promise<Response> {
  return fetch(`${stack.emulator.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify(fault) });
}

async function apiError(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}

describe('/v1/models through the SDK', () => {
  it('lists the models the caller may use, and nothing for a caller of no account', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining([SONNET, NOVA_LITE, ROLE_MODEL, APIKEY_MODEL]));
    const outsider: string[] = [];
    for await (const model of stack.client(OUTSIDER_KEY).models.list()) outsider.push(model.id);
    expect(outsider).toEqual([]);
  });

  it('retrieves one model and 404s a forbidden one', async () => {
    expect(await client.models.retrieve(SONNET)).toMatchObject({ id: SONNET, object: 'model', owned_by: 'demo' });
    const err = await apiError(stack.client(OUTSIDER_KEY).models.retrieve(SONNET));
    expect(err.status).toBe(404);
  });
});

describe('non-streaming chat', () => {
  it('returns the reply, finish reason and usage', async () => {
    const res = await client.chat.completions.create({
      model: SONNET,
      messages: [{ role: 'user', content: 'hello there' }],
    });
    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe(SONNET);
    expect(res.id).toMatch(/^chatcmpl-/);
    expect(res.choices).toHaveLength(1);
    expect(res.choices[0]).toMatchObject({
      index: 0,
      finish_reason: 'stop',
      message: { role: 'assistant', content: 'Echo: hello there' },
    });
    expect(res.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(res.usage?.completion_tokens).toBeGreaterThan(0);
    expect(res.usage?.total_tokens).toBe((res.usage?.prompt_tokens ?? 0) + (res.usage?.completion_tokens ?? 0));
  });

  it('sends system and developer messages as Bedrock system prompts (they count as input)', async () => {
    const bare = await client.chat.completions.create({ model: SONNET, messages: [{ role: 'user', content: 'hi' }] });
    const withSystem = await client.chat.completions.create({
      model: SONNET,
      messages: [
        { role: 'system', content: 'You are a careful assistant who answers briefly.' },
        { role: 'developer', content: 'Prefer metric units in every answer you give.' },
        { role: 'user', content: 'hi' },
      ],
    });
    expect(withSystem.choices[0]?.message.content).toBe('Echo: hi');
    expect(withSystem.usage!.prompt_tokens).toBeGreaterThan(bare.usage!.prompt_tokens + 10);
  });

  it('merges consecutive same-role messages (Bedrock requires alternating roles)', async () => {
    const res = await client.chat.completions.create({
      model: NOVA_LITE,
      messages: [
        { role: 'user', content: 'first' },
        { role: 'user', content: 'second' },
        { role: 'assistant', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role: 'user', content: 'third' },
      ],
    });
    expect(res.choices[0]?.message.content).toBe('Echo: third');
  });

  it('honours max_tokens and max_completion_tokens with finish_reason length', async () => {
    for (const limit of [{ max_tokens: 2 }, { max_completion_tokens: 2 }]) {
      const res = await client.chat.completions.create({
        model: NOVA_LITE,
        messages: [{ role: 'user', content: 'a rather long sentence to echo back' }],
        ...limit,
      });
      expect(res.choices[0]?.finish_reason).toBe('length');
      expect(res.usage?.completion_tokens).toBe(2);
    }
  });

  it('honours stop sequences, temperature and top_p', async () => {
    const res = await client.chat.completions.create({
      model: NOVA_LITE,
      stop: ['friend'],
      temperature: 0.2,
      top_p: 0.9,
      messages: [{ role: 'user', content: 'hello there my friend' }],
    });
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.choices[0]?.message.content).toBe('Echo: hello there my ');
  });

  it('refuses a temperature the model does not accept with a 400 naming the parameter', async () => {
    const err = await apiError(
      client.chat.completions.create({ model: SONNET, temperature: 1.9, messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(err.status).toBe(400);
    expect(err.param).toBe('temperature');
  });

  it('serves inference-profile ids, ARNs and per-model regions as configured', async () => {
    for (const model of [SONNET, ARN_MODEL, MISTRAL_US_WEST_2, 'demo/us-meta-llama3-3-70b-instruct-v1-0']) {
      const res = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'ping' }] });
      expect(res.choices[0]?.message.content).toBe('Echo: ping');
    }
    const seen = stack.emulator.state.stats.models;
    expect(seen['global.anthropic.claude-sonnet-4-5-20250929-v1:0']).toBeGreaterThan(0);
    expect(seen['arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0']).toBeGreaterThan(0);
    expect(seen['us.meta.llama3-3-70b-instruct-v1:0']).toBeGreaterThan(0);
  });
});

describe('upstream auth', () => {
  it('calls Bedrock with access keys, an assumed role (one STS call for many requests) and an API key', async () => {
    const before = stack.emulator.state.stats.sts.AssumeRole ?? 0;
    for (let i = 0; i < 5; i++) {
      const res = await client.chat.completions.create({
        model: ROLE_MODEL,
        messages: [{ role: 'user', content: `r${i}` }],
      });
      expect(res.choices[0]?.message.content).toBe(`Echo: r${i}`);
    }
    const api = await client.chat.completions.create({
      model: APIKEY_MODEL,
      messages: [{ role: 'user', content: 'k' }],
    });
    expect(api.choices[0]?.message.content).toBe('Echo: k');
    const stats = stack.emulator.state.stats;
    expect((stats.sts.AssumeRole ?? 0) - before).toBeLessThanOrEqual(1);
    expect(
      stats.principals['arn:aws:sts::111122223333:assumed-role/BedrockAccess/aigateway-demo'],
    ).toBeGreaterThanOrEqual(5);
    expect(stats.principals['arn:aws:iam::111122223333:user/aigw-emulator-user']).toBeGreaterThan(0);
  });
});

describe('streaming chat', () => {
  it('streams deltas and a final usage chunk with include_usage', async () => {
    const stream = await client.chat.completions.create({
      model: SONNET,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'stream these words please' }],
    });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.object).toBe('chat.completion.chunk');
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Echo: stream these words please');
    expect(chunks).toBeGreaterThan(3);
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('accumulates to the same message with the SDK stream helper', async () => {
    const final = await client.chat.completions
      .stream({ model: NOVA_LITE, max_tokens: 3, messages: [{ role: 'user', content: 'one two three four five' }] })
      .finalChatCompletion();
    expect(final.choices[0]?.finish_reason).toBe('length');
  });

  it('ends with an SSE error event, no [DONE], when Bedrock fails mid-stream: the SDK raises', async () => {
    await injectFault({ type: 'stream-error', afterEvents: 3, count: 1 });
    const stream = await client.chat.completions.create({
      model: NOVA_LITE,
      stream: true,
      messages: [{ role: 'user', content: 'this stream will break part way through' }],
    });
    let text = '';
    const err = await (async () => {
      try {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(text.length).toBeLessThan('Echo: this stream will break part way through'.length);

    await injectFault({ type: 'stream-error', afterEvents: 3, count: 1 });
    const raw = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: NOVA_LITE,
        stream: true,
        messages: [{ role: 'user', content: 'break again please' }],
      }),
    });
    expect(raw.status).toBe(200);
    const events = (await raw.text()).trim().split('\n\n');
    expect(events).not.toContain('data: [DONE]');
    const last = JSON.parse(events.at(-1)!.replace(/^data: /, '')) as { error: Record<string, unknown> };
    expect(last.error).toMatchObject({ type: 'api_error', code: 'upstream_error' });
    expect(Object.keys(last.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    // What Bedrock sent before the exception (its role and first deltas, in the same read) is not lost.
    const before = events
      .slice(0, -1)
      .map(
        (e) => JSON.parse(e.replace(/^data: /, '')) as { choices: { delta: { role?: string; content?: string } }[] },
      );
    expect(before[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(before.map((c) => c.choices[0]?.delta.content ?? '').join('')).toMatch(/^Echo/);
  });

  it('a throttle that is the stream first frame is retried; one that persists is a plain 429, not a 200 stream', async () => {
    await injectFault({ type: 'stream-error', afterEvents: 0, exception: 'throttlingException', count: 1 });
    const stream = await client.chat.completions.create({
      model: NOVA_LITE,
      stream: true,
      messages: [{ role: 'user', content: 'first frame throttled once' }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Echo: first frame throttled once');

    await injectFault({ type: 'stream-error', afterEvents: 0, exception: 'throttlingException', count: 50 });
    try {
      const raw = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: NOVA_LITE,
          stream: true,
          messages: [{ role: 'user', content: 'always throttled' }],
        }),
      });
      expect(raw.status).toBe(429);
      expect(raw.headers.get('content-type')).toContain('application/json');
      const body = (await raw.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    } finally {
      await fetch(`${stack.emulator.url}/_emulator/faults`, { method: 'DELETE' });
    }
  });
});

describe('errors in OpenAI shape', () => {
  it('401 without or with a wrong key, 403 for a forbidden model, 404 for an unknown one', async () => {
    const noKey = await fetch(`${stack.gateway.url}/v1/chat/completions`, { method: 'POST' });
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as { error: { code: string } }).error.code).toBe('missing_api_key');
    const wrong = await apiError(
      stack.client('sk-wrong').chat.completions.create({ model: SONNET, messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(wrong.status).toBe(401);
    expect(wrong).toBeInstanceOf(OpenAI.AuthenticationError);
    const forbidden = await apiError(
      stack.client(OUTSIDER_KEY).chat.completions.create({ model: SONNET, messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(forbidden).toBeInstanceOf(OpenAI.PermissionDeniedError);
    const missing = await apiError(
      client.chat.completions.create({ model: 'demo/no-such-model', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing.code).toBe('model_not_found');
  });

  it('retries a throttle before the first byte and then succeeds', async () => {
    await injectFault({ type: 'throttle', count: 1 });
    const res = await client.chat.completions.create({
      model: NOVA_LITE,
      messages: [{ role: 'user', content: 'retry me' }],
    });
    expect(res.choices[0]?.message.content).toBe('Echo: retry me');
    expect(stack.emulator.state.stats.faultsInjected.throttle).toBeGreaterThanOrEqual(1);
  });

  it('maps persistent throttling to 429, 500 to 502, 503 to 503, model timeout to 408, ValidationException to 400', async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ type: 'throttle' }, 429, 'rate_limit_exceeded'],
      [{ type: 'error', status: 500 }, 502, 'upstream_error'],
      [{ type: 'error', status: 503 }, 503, 'upstream_unavailable'],
      [{ type: 'timeout' }, 408, 'model_timeout'],
    ];
    for (const [fault, status, code] of cases) {
      await injectFault(fault);
      for (const stream of [false, true]) {
        const err = await apiError(
          client.chat.completions.create({ model: NOVA_LITE, stream, messages: [{ role: 'user', content: 'x' }] }),
        );
        expect({ fault: fault.type, stream, status: err.status, code: err.code }).toEqual({
          fault: fault.type,
          stream,
          status,
          code,
        });
      }
      await fetch(`${stack.emulator.url}/_emulator/faults`, { method: 'DELETE' });
    }
    const tooLong = await apiError(
      client.chat.completions.create({
        model: APIKEY_MODEL,
        messages: [{ role: 'user', content: 'word '.repeat(300_000) }],
      }),
    );
    expect(tooLong.status).toBe(400);
    expect(tooLong.message).toMatch(/too long/i);
  });

  it('answers unsupported OpenAI surfaces with a 404 naming them', async () => {
    const err = await apiError(client.responses.create({ model: SONNET, input: 'hi' }));
    expect(err.status).toBe(404);
    expect(err.message).toMatch(/Responses API.*not supported for Amazon Bedrock/);
    const moderation = await apiError(client.moderations.create({ input: 'hi' }));
    expect(moderation.message).toMatch(/Moderations API/);
    const legacy = await apiError(client.completions.create({ model: SONNET, prompt: 'hi' }));
    expect(legacy.message).toMatch(/legacy Completions API/);
  });
});

describe('metrics of chat calls', () => {
  it('counts tokens by kind and cost from the built-in price table or the Model pricing', async () => {
    await client.chat.completions.create({ model: SONNET, messages: [{ role: 'user', content: 'priced call' }] });
    await client.chat.completions.create({
      model: MISTRAL_US_WEST_2,
      messages: [{ role: 'user', content: 'priced by the Model' }],
    });
    const stream = await client.chat.completions.create({
      model: SONNET,
      stream: true,
      messages: [{ role: 'user', content: 'streamed' }],
    });
    for await (const _ of stream) {
      // drain
    }
    const text = await (await fetch(`${stack.gateway.admin!.url}/metrics`)).text();
    const sonnet = 'account="demo",model="global-anthropic-claude-sonnet-4-5-20250929-v1-0"';
    expect(text).toMatch(new RegExp(`aigw_tokens_total\\{${sonnet},kind="input"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`aigw_tokens_total\\{${sonnet},kind="output"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`aigw_cost_usd_total\\{${sonnet},subject="user:demo@example.com"\\} 0\\.0\\d+`));
    expect(text).toMatch(
      /aigw_cost_usd_total\{account="demo",model="mistral-mistral-large-2407-v1-0",subject="user:demo@example.com"\} \d/,
    );
    expect(text).toMatch(
      /aigw_time_to_first_token_seconds_count\{account="demo",model="global-anthropic-claude-sonnet-4-5-20250929-v1-0"\} [1-9]/,
    );
    expect(text).toMatch(/aigw_gateway_overhead_seconds_count\{route="chat",kind="total"\} [1-9]/);
    expect(text).toMatch(/aigw_gateway_overhead_seconds_count\{route="chat",kind="ttft"\} [1-9]/);
  });
});

describe('x-aigateway-warnings', () => {
  it('tells the caller which parameters were ignored, on JSON and SSE responses', async () => {
    for (const stream of [false, true]) {
      const res = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'demo/us-meta-llama3-3-70b-instruct-v1-0',
          stream,
          messages: [
            { role: 'user', content: [{ type: 'text', text: 'cache me', cache_control: { type: 'ephemeral' } }] },
          ],
        }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-aigateway-warnings')).toMatch(/cache_control ignored/);
      await res.text();
    }
    const plain = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: NOVA_LITE, messages: [{ role: 'user', content: 'plain' }] }),
    });
    expect(plain.headers.get('x-aigateway-warnings')).toBeNull();
    await plain.text();
  });
});

describe('x-request-id', () => {
  it('is on successes, streams, errors, 404s and 405s, and an incoming id is echoed', async () => {
    const headers = { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' };
    const body = (stream: boolean) =>
      JSON.stringify({ model: NOVA_LITE, stream, messages: [{ role: 'user', content: 'id' }] });
    const responses = await Promise.all([
      fetch(`${stack.gateway.url}/v1/chat/completions`, { method: 'POST', headers, body: body(false) }),
      fetch(`${stack.gateway.url}/v1/chat/completions`, { method: 'POST', headers, body: body(true) }),
      fetch(`${stack.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...headers, authorization: 'Bearer nope' },
        body: body(false),
      }),
      fetch(`${stack.gateway.url}/v1/responses`, { method: 'POST' }),
      fetch(`${stack.gateway.url}/v1/chat/completions`, { method: 'PUT' }),
      fetch(`${stack.gateway.url}/v1/models`, { headers }),
      fetch(`${stack.gateway.url}/`, {}),
    ]);
    for (const res of responses) {
      expect(res.headers.get('x-request-id'), `${res.url} ${res.status}`).toMatch(/^[0-9a-f-]{36}$/);
      await res.arrayBuffer();
    }
    const traced = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...headers, 'x-request-id': 'caller-trace-42' },
      body: body(true),
    });
    expect(traced.headers.get('x-request-id')).toBe('caller-trace-42');
    await traced.text();
  });
});
