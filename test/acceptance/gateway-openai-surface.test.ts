/**
 * Acceptance: the gateway's OpenAI surface as a user sees it. `aigw emulator` and `aigw serve --config DIR`
 * run as processes from the built CLI (`npm run build` first); callers use the official `openai` SDK or
 * plain HTTP. Expectations come from DESIGN.md (HTTP API, API keys, Errors, Observability) and the
 * user docs, not from the implementation.
 */
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCli,
  EMU_ACCESS_KEY_ID,
  EMU_BEDROCK_API_KEY,
  EMU_SECRET_ACCESS_KEY,
  type Emulator,
  type Gateway,
  makeConfigDir,
  removeCliBuild,
  removeDir,
  sseData,
  startEmulatorProcess,
  startGatewayProcess,
} from './gateway-harness.js';
import { accountsYaml, apiKeysYaml, KEYS, MODELS, modelsYaml } from './gateway-manifests.js';

const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

let emu: Emulator;
let gw: Gateway;
let dir: string;

function client(key: string): OpenAI {
  return new OpenAI({ baseURL: gw.baseURL, apiKey: key, maxRetries: 0, timeout: 20_000 });
}

/** Raw POST to the gateway; returns status, headers and parsed JSON (or text). */
async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.alice}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as Record<string, unknown> | undefined };
}

function expectOpenAIError(
  json: unknown,
  code?: string,
): { message: string; type: string; param: unknown; code: string } {
  expect(json).toBeTypeOf('object');
  const err = (json as { error: { message: string; type: string; param: unknown; code: string } }).error;
  expect(err).toBeTypeOf('object');
  expect(Object.keys(err).sort()).toEqual(expect.arrayContaining(['code', 'message', 'param', 'type']));
  expect(typeof err.message).toBe('string');
  expect(err.message.length).toBeGreaterThan(0);
  expect(typeof err.type).toBe('string');
  if (code) expect(err.code).toBe(code);
  // Never a leaked secret.
  for (const secret of [EMU_SECRET_ACCESS_KEY, EMU_BEDROCK_API_KEY, EMU_ACCESS_KEY_ID, KEYS.alice, KEYS.mallory]) {
    expect(err.message).not.toContain(secret);
  }
  return err;
}

async function apiError(p: Promise<unknown>): Promise<APIError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof APIError) return e;
    throw e;
  }
  throw new Error('expected an API error');
}

beforeAll(async () => {
  buildCli();
  emu = await startEmulatorProcess();
  dir = await makeConfigDir({
    'accounts.yaml': accountsYaml(emu.url),
    'models.yaml': modelsYaml(),
    'keys.yaml': apiKeysYaml(),
  });
  // The `default` account takes the AWS default chain from the gateway's environment.
  gw = await startGatewayProcess(dir, {
    env: {
      AWS_ACCESS_KEY_ID: EMU_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: EMU_SECRET_ACCESS_KEY,
      AWS_REGION: 'us-east-1',
    },
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await emu?.stop();
  await removeDir(dir);
  await removeCliBuild();
});

describe('models', () => {
  it('lists exactly the models each caller may use, in OpenAI list shape', async () => {
    const alice = (await client(KEYS.alice).models.list()).data.map((m) => m.id).sort();
    expect(alice).toEqual(
      [
        MODELS.claude,
        MODELS.nova,
        MODELS.novaArn,
        MODELS.haikuProfileArn,
        MODELS.microEu,
        MODELS.llama,
        MODELS.embed,
        MODELS.roleNova,
        MODELS.bearerNova,
        MODELS.chainNova,
      ].sort(),
    );
    const bob = (await client(KEYS.bob).models.list()).data.map((m) => m.id);
    expect(bob).toEqual([MODELS.chainNova]);
    const mallory = (await client(KEYS.mallory).models.list()).data;
    expect(mallory).toEqual([]);
  });

  it('every listed model has object "model", an integer created and an owned_by', async () => {
    const list = await client(KEYS.alice).models.list();
    for (const m of list.data) {
      expect(m.object).toBe('model');
      expect(Number.isInteger(m.created)).toBe(true);
      expect(typeof m.owned_by).toBe('string');
    }
  });

  it('retrieves a visible model by its id containing a slash, 404 for invisible or unknown ones', async () => {
    const m = await client(KEYS.alice).models.retrieve(MODELS.claude);
    expect(m.id).toBe(MODELS.claude);
    expect(m.object).toBe('model');

    const hidden = await apiError(client(KEYS.bob).models.retrieve(MODELS.claude));
    expect(hidden.status).toBe(404);
    const unknown = await apiError(client(KEYS.alice).models.retrieve('keys/nope'));
    expect(unknown.status).toBe(404);
    expectOpenAIError(unknown.error ? { error: unknown.error } : undefined);
  });

  it('URL-encoded model ids retrieve too', async () => {
    const res = await fetch(`${gw.baseURL}/models/${encodeURIComponent(MODELS.nova)}`, {
      headers: { authorization: `Bearer ${KEYS.alice}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { id: string }).id).toBe(MODELS.nova);
  });
});

describe('chat completions, non-streaming', () => {
  it('answers in OpenAI shape with usage and the served model name', async () => {
    const r = await client(KEYS.alice).chat.completions.create({
      model: MODELS.nova,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello there' },
      ],
    });
    expect(r.object).toBe('chat.completion');
    expect(r.id).toMatch(/^chatcmpl-/);
    expect(r.model).toBe(MODELS.nova);
    expect(Number.isInteger(r.created)).toBe(true);
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0]?.index).toBe(0);
    expect(r.choices[0]?.message.role).toBe('assistant');
    expect(r.choices[0]?.message.content).toBe('Echo: Hello there');
    expect(r.choices[0]?.finish_reason).toBe('stop');
    expect(r.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(r.usage?.completion_tokens).toBe(Math.ceil('Echo: Hello there'.length / 4));
    expect(r.usage?.total_tokens).toBe((r.usage?.prompt_tokens ?? 0) + (r.usage?.completion_tokens ?? 0));
  });

  it('serves each auth type and each kind of model id', async () => {
    for (const model of [
      MODELS.claude,
      MODELS.novaArn,
      MODELS.haikuProfileArn,
      MODELS.microEu,
      MODELS.llama,
      MODELS.roleNova,
      MODELS.bearerNova,
      MODELS.chainNova,
    ]) {
      const r = await client(KEYS.alice).chat.completions.create({
        model,
        messages: [{ role: 'user', content: `hi ${model}` }],
      });
      expect(r.choices[0]?.message.content, model).toBe(`Echo: hi ${model}`);
      expect(r.model).toBe(model);
    }
    // assumeRole used STS once (cached credentials, not per request).
    const s = await emu.stats();
    expect(s.sts.AssumeRole).toBe(1);
  });

  it('honours max_tokens (finish_reason length), stop, temperature, top_p, user, metadata', async () => {
    const c = client(KEYS.alice);
    const long = await c.chat.completions.create({
      model: MODELS.nova,
      messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten eleven twelve' }],
      max_tokens: 3,
    });
    expect(long.choices[0]?.finish_reason).toBe('length');
    expect(long.usage?.completion_tokens).toBeLessThanOrEqual(3);

    const mct = await c.chat.completions.create({
      model: MODELS.nova,
      messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten eleven twelve' }],
      max_completion_tokens: 2,
      max_tokens: 50,
    });
    expect(mct.choices[0]?.finish_reason).toBe('length');

    const stopped = await c.chat.completions.create({
      model: MODELS.nova,
      messages: [{ role: 'user', content: 'alpha beta gamma' }],
      stop: 'gamma',
      temperature: 0.2,
      top_p: 0.9,
      user: 'alice',
      metadata: { team: 'search' },
      n: 1,
    });
    expect(stopped.choices[0]?.message.content).toBe('Echo: alpha beta ');
    expect(stopped.choices[0]?.finish_reason).toBe('stop');
  });

  it('names ignored parameters in x-aigateway-warnings instead of failing', async () => {
    const { data, response } = await client(KEYS.alice)
      .chat.completions.create({
        model: MODELS.nova,
        messages: [{ role: 'user', content: 'x' }],
        seed: 7,
        presence_penalty: 0.5,
      })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Echo: x');
    const w = response.headers.get('x-aigateway-warnings') ?? '';
    expect(w).toContain('seed');
    expect(w).toContain('presence_penalty');
  });

  it('round-trips a tool call', async () => {
    const c = client(KEYS.alice);
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const first = await c.chat.completions.create({
      model: MODELS.claude,
      messages: [{ role: 'user', content: 'What is the weather in Paris? use get_weather' }],
      tools,
    });
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('no function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'city' });

    const second = await c.chat.completions.create({
      model: MODELS.claude,
      messages: [
        { role: 'user', content: 'What is the weather in Paris? use get_weather' },
        choice?.message as OpenAI.Chat.ChatCompletionMessageParam,
        { role: 'tool', tool_call_id: call.id, content: 'sunny, 21C' },
      ],
      tools,
    });
    expect(second.choices[0]?.message.content).toBe(`Tool results: ${call.id}: sunny, 21C`);
    expect(second.choices[0]?.finish_reason).toBe('stop');

    // tool_choice required on a model that can force tools
    const forced = await c.chat.completions.create({
      model: MODELS.nova,
      messages: [{ role: 'user', content: 'anything' }],
      tools,
      tool_choice: 'required',
    });
    expect(forced.choices[0]?.message.tool_calls?.length).toBe(1);

    // tool_choice none: a plain text answer
    const none = await c.chat.completions.create({
      model: MODELS.nova,
      messages: [{ role: 'user', content: 'get_weather please' }],
      tools,
      tool_choice: 'none',
    });
    expect(none.choices[0]?.message.tool_calls ?? []).toEqual([]);
    expect(none.choices[0]?.finish_reason).toBe('stop');
  });

  it('takes images as data URIs', async () => {
    const r = await client(KEYS.alice).chat.completions.create({
      model: MODELS.nova,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'describe' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1X1}` } },
          ],
        },
      ],
    });
    expect(r.choices[0]?.message.content).toBe('Echo: describe');
    // The emulator counts an image as 1000 input tokens.
    expect(r.usage?.prompt_tokens).toBeGreaterThanOrEqual(1000);

    // image/jpg is a common alias; bytes that are really PNG must not turn into a 5xx
    const jpgAlias = await post('/v1/chat/completions', {
      model: MODELS.nova,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'x' },
            { type: 'image_url', image_url: { url: `data:image/jpg;base64,${PNG_1X1}` } },
          ],
        },
      ],
    });
    expect(jpgAlias.status).toBeLessThan(500);

    // an image on a model without vision is a clear 400, not a 5xx
    const noVision = await post('/v1/chat/completions', {
      model: MODELS.llama,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'x' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1X1}` } },
          ],
        },
      ],
    });
    expect(noVision.status).toBe(400);
    expectOpenAIError(noVision.json);

    // garbage base64 claiming to be an image
    const garbage = await post('/v1/chat/completions', {
      model: MODELS.nova,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'x' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
      ],
    });
    expect(garbage.status).toBe(400);
    expectOpenAIError(garbage.json);
  });

  it('structured output: JSON in content with finish_reason stop, native and fallback', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'integer' } },
      required: ['name', 'age'],
      additionalProperties: false,
    };
    for (const model of [MODELS.claude, MODELS.nova]) {
      const r = await client(KEYS.alice).chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Give me a person' }],
        response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
      });
      expect(r.choices[0]?.finish_reason, model).toBe('stop');
      expect(r.choices[0]?.message.tool_calls ?? [], model).toEqual([]);
      const parsed = JSON.parse(r.choices[0]?.message.content ?? 'null') as { name: string; age: number };
      expect(typeof parsed.name, model).toBe('string');
      expect(Number.isInteger(parsed.age), model).toBe(true);
    }
    const jsonObject = await client(KEYS.alice).chat.completions.create({
      model: MODELS.nova,
      messages: [{ role: 'user', content: 'Give me JSON' }],
      response_format: { type: 'json_object' },
    });
    expect(() => JSON.parse(jsonObject.choices[0]?.message.content ?? '')).not.toThrow();
  });

  it('reasoning: reasoning_effort on Claude yields reasoning_content; refused on Nova', async () => {
    const r = await client(KEYS.alice).chat.completions.create({
      model: MODELS.claude,
      messages: [{ role: 'user', content: 'think about it' }],
      reasoning_effort: 'low',
    });
    const msg = r.choices[0]?.message as unknown as { content: string; reasoning_content?: string };
    expect(msg.content).toBe('Echo: think about it');
    expect(msg.reasoning_content).toContain('Reasoning about: think about it');

    const refused = await apiError(
      client(KEYS.alice).chat.completions.create({
        model: MODELS.nova,
        messages: [{ role: 'user', content: 'x' }],
        reasoning_effort: 'low',
      }),
    );
    expect(refused.status).toBe(400);
    expect(refused.param).toBe('reasoning_effort');
  });
});

describe('chat completions, streaming', () => {
  it('streams role, content, finish_reason, a usage chunk and [DONE]', async () => {
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.alice}` },
      body: JSON.stringify({
        model: MODELS.nova,
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'one two three four five' }],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const data = sseData(await res.text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as OpenAI.Chat.ChatCompletionChunk);
    const ids = new Set(chunks.map((c) => c.id));
    expect(ids.size).toBe(1);
    for (const c of chunks) {
      expect(c.object).toBe('chat.completion.chunk');
      expect(c.model).toBe(MODELS.nova);
    }
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('Echo: one two three four five');
    const finishes = chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter((f) => f);
    expect(finishes).toEqual(['stop']);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBe(Math.ceil(text.length / 4));
    expect(last?.usage?.total_tokens).toBe((last?.usage?.prompt_tokens ?? 0) + (last?.usage?.completion_tokens ?? 0));
    // Without include_usage no chunk carries usage.
    const plain = await client(KEYS.alice).chat.completions.create({
      model: MODELS.nova,
      stream: true,
      messages: [{ role: 'user', content: 'abc' }],
    });
    let usageSeen = false;
    for await (const c of plain) if (c.usage) usageSeen = true;
    expect(usageSeen).toBe(false);
  });

  it('streams tool calls with a dense index from 0 that the SDK accumulates', async () => {
    const tools = ['alpha', 'beta'].map((name) => ({
      type: 'function' as const,
      function: { name, parameters: { type: 'object', properties: { q: { type: 'string' } } } },
    }));
    const stream = client(KEYS.alice).chat.completions.stream({
      model: MODELS.claude,
      messages: [{ role: 'user', content: 'call both [[tools:2]]' }],
      tools,
    });
    const final = await stream.finalChatCompletion();
    const calls = final.choices[0]?.message.tool_calls ?? [];
    expect(calls.map((c) => (c.type === 'function' ? c.function.name : ''))).toEqual(['alpha', 'beta']);
    for (const c of calls) if (c.type === 'function') expect(JSON.parse(c.function.arguments)).toEqual({ q: 'q' });
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('streams reasoning_content before content on Claude with reasoning', async () => {
    const stream = await client(KEYS.alice).chat.completions.create({
      model: MODELS.claude,
      stream: true,
      reasoning_effort: 'low',
      messages: [{ role: 'user', content: 'ponder' }],
    });
    let reasoning = '';
    let content = '';
    for await (const c of stream) {
      const d = c.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      if (d?.reasoning_content) {
        expect(content).toBe('');
        reasoning += d.reasoning_content;
      }
      content += d?.content ?? '';
    }
    expect(reasoning).toContain('Reasoning about: ponder');
    expect(content).toBe('Echo: ponder');
  });

  it('thinking + tools: the message the SDK stream helper accumulates can be sent back as is', async () => {
    const c = client(KEYS.alice);
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
      },
    ];
    const user = { role: 'user' as const, content: 'please lookup the thing' };
    const final = await c.chat.completions
      .stream({ model: MODELS.claude, messages: [user], tools, reasoning_effort: 'medium' })
      .finalChatCompletion();
    const message = final.choices[0]?.message;
    const call = message?.tool_calls?.[0];
    if (!message || call?.type !== 'function') throw new Error('expected a tool call');
    const blocks = (message as unknown as { thinking_blocks?: Array<{ thinking: string }> }).thinking_blocks;
    expect(blocks?.[0]?.thinking).toBe('Reasoning about: please lookup the thing');
    const { data, response } = await c.chat.completions
      .create({
        model: MODELS.claude,
        messages: [
          user,
          message as OpenAI.Chat.ChatCompletionMessageParam,
          { role: 'tool', tool_call_id: call.id, content: 'found' },
        ],
        tools,
        reasoning_effort: 'medium',
      })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe(`Tool results: ${call.id}: found`);
    // Thinking stayed on: the replayed block was accepted, not dropped with a warning.
    expect(response.headers.get('x-aigateway-warnings') ?? '').not.toMatch(/thinking/);
  });

  it('an upstream refusal before the first event is an ordinary JSON error, not a 200 stream', async () => {
    await emu.fault({ type: 'throttle', model: 'amazon.nova-lite-v1:0', operation: 'ConverseStream', count: 10 });
    try {
      const e = await apiError(
        client(KEYS.alice).chat.completions.create({
          model: MODELS.nova,
          stream: true,
          messages: [{ role: 'user', content: 'x' }],
        }),
      );
      expect(e.status).toBe(429);
      expect(e.type).toBe('rate_limit_error');
    } finally {
      await emu.clearFaults();
    }
    const denied = await apiError(
      client(KEYS.bob).chat.completions.create({
        model: MODELS.nova,
        stream: true,
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    expect(denied.status).toBe(403);
  });

  it('a mid-stream Bedrock exception ends the stream with an SSE error event and no [DONE]', async () => {
    await emu.fault({
      type: 'stream-error',
      model: 'amazon.nova-lite-v1:0',
      operation: 'ConverseStream',
      count: 1,
      afterEvents: 3,
    });
    try {
      const res = await fetch(`${gw.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.alice}` },
        body: JSON.stringify({
          model: MODELS.nova,
          stream: true,
          messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten' }],
        }),
      });
      expect(res.status).toBe(200);
      const data = sseData(await res.text());
      expect(data).not.toContain('[DONE]');
      const last = JSON.parse(data.at(-1) ?? '{}') as unknown;
      const err = expectOpenAIError(last);
      expect(err.type).toBe('api_error');
    } finally {
      await emu.clearFaults();
    }
  });

  it('the SDK surfaces a mid-stream error as an exception', async () => {
    await emu.fault({
      type: 'stream-error',
      model: 'amazon.nova-lite-v1:0',
      operation: 'ConverseStream',
      count: 1,
      afterEvents: 3,
      exception: 'throttlingException',
    });
    try {
      const stream = await client(KEYS.alice).chat.completions.create({
        model: MODELS.nova,
        stream: true,
        messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten' }],
      });
      await expect(
        (async () => {
          for await (const _ of stream) {
            // drain
          }
        })(),
      ).rejects.toThrow();
    } finally {
      await emu.clearFaults();
    }
  });
});

describe('errors', () => {
  it('401 without a key and with a wrong key, in OpenAI shape', async () => {
    const none = await fetch(`${gw.baseURL}/models`);
    expect(none.status).toBe(401);
    expectOpenAIError(await none.json(), 'missing_api_key');
    expect(none.headers.get('x-request-id')).toBeTruthy();

    const wrong = await apiError(client('sk-wrong-key-123456').models.list());
    expect(wrong.status).toBe(401);
    expect(wrong.code).toBe('invalid_api_key');
    expect(wrong.message).not.toContain('sk-wrong-key-123456');

    const basic = await fetch(`${gw.baseURL}/models`, {
      headers: { authorization: `Basic ${Buffer.from(`x:${KEYS.alice}`).toString('base64')}` },
    });
    expect(basic.status).toBe(401);
    expectOpenAIError(await basic.json());
  });

  it('403 for a model the caller may not use, 404 for an unknown model', async () => {
    const denied = await apiError(
      client(KEYS.bob).chat.completions.create({ model: MODELS.nova, messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(denied.status).toBe(403);
    expect(denied.code).toBe('model_access_denied');
    const missing = await apiError(
      client(KEYS.alice).chat.completions.create({
        model: 'keys/no-such-model',
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    expect(missing.status).toBe(404);
    expect(missing.code).toBe('model_not_found');
    const bare = await apiError(
      client(KEYS.alice).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(bare.status).toBe(404);
  });

  it('400 for malformed bodies, never a 5xx', async () => {
    const cases: Array<[string, unknown]> = [
      ['not json', '{"model":'],
      ['array body', '[]'],
      ['null body', 'null'],
      ['no messages', { model: MODELS.nova }],
      ['empty messages', { model: MODELS.nova, messages: [] }],
      ['no model', { messages: [{ role: 'user', content: 'x' }] }],
      ['model not a string', { model: 5, messages: [{ role: 'user', content: 'x' }] }],
      ['bad role', { model: MODELS.nova, messages: [{ role: 'wizard', content: 'x' }] }],
      ['messages not array', { model: MODELS.nova, messages: 'hi' }],
      ['n=2', { model: MODELS.nova, messages: [{ role: 'user', content: 'x' }], n: 2 }],
      ['temperature 1.5', { model: MODELS.nova, messages: [{ role: 'user', content: 'x' }], temperature: 1.5 }],
      ['temperature string', { model: MODELS.nova, messages: [{ role: 'user', content: 'x' }], temperature: 'hot' }],
      ['max_tokens 0', { model: MODELS.nova, messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }],
      ['max_tokens negative', { model: MODELS.nova, messages: [{ role: 'user', content: 'x' }], max_tokens: -5 }],
      [
        'bad tool args',
        {
          model: MODELS.nova,
          messages: [
            { role: 'user', content: 'x' },
            {
              role: 'assistant',
              tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{not json' } }],
            },
            { role: 'tool', tool_call_id: 'c1', content: 'r' },
          ],
          tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
        },
      ],
      [
        'bad tool name',
        {
          model: MODELS.nova,
          messages: [{ role: 'user', content: 'x' }],
          tools: [{ type: 'function', function: { name: 'bad name!' } }],
        },
      ],
      [
        'tools on llama3.3 w/o toolChoice ok? tool_choice required',
        {
          model: MODELS.llama,
          messages: [{ role: 'user', content: 'x' }],
          tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
          tool_choice: 'required',
        },
      ],
      [
        'max_tokens above model max',
        { model: MODELS.llama, messages: [{ role: 'user', content: 'x' }], max_tokens: 'lots' },
      ],
      [
        'bad image url',
        {
          model: MODELS.nova,
          messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }],
        },
      ],
      [
        'unknown content part',
        { model: MODELS.nova, messages: [{ role: 'user', content: [{ type: 'hologram', hologram: {} }] }] },
      ],
      ['stream not bool', { model: MODELS.nova, messages: [{ role: 'user', content: 'x' }], stream: 'yes' }],
      [
        'tool message without id',
        {
          model: MODELS.nova,
          messages: [
            { role: 'user', content: 'x' },
            { role: 'tool', content: 'r' },
          ],
        },
      ],
    ];
    for (const [name, body] of cases) {
      const r = await post('/v1/chat/completions', body);
      expect(r.status, `${name}: ${r.text}`).toBe(400);
      expectOpenAIError(r.json);
      expect(r.headers.get('x-request-id'), name).toBeTruthy();
    }
  });

  it('400 names the offending param', async () => {
    const r = await post('/v1/chat/completions', {
      model: MODELS.nova,
      messages: [{ role: 'user', content: 'x' }],
      n: 3,
    });
    expect(expectOpenAIError(r.json).param).toBe('n');
    const t = await post('/v1/chat/completions', {
      model: MODELS.nova,
      messages: [{ role: 'user', content: 'x' }],
      temperature: 1.5,
    });
    expect(expectOpenAIError(t.json).param).toBe('temperature');
  });

  it('wrong content-type is a 4xx in OpenAI shape', async () => {
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${KEYS.alice}` },
      body: JSON.stringify({ model: MODELS.nova, messages: [{ role: 'user', content: 'x' }] }),
    });
    // Some clients omit the content type; either serve it or refuse it clearly.
    if (res.status !== 200) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expectOpenAIError(await res.json());
    }
  });

  it('unsupported surfaces answer 404/400 in OpenAI shape naming the surface', async () => {
    const surfaces: Array<[string, string]> = [
      ['POST', '/v1/responses'],
      ['POST', '/v1/audio/speech'],
      ['POST', '/v1/audio/transcriptions'],
      ['POST', '/v1/moderations'],
      ['POST', '/v1/fine_tuning/jobs'],
      ['GET', '/v1/realtime'],
      ['POST', '/v1/completions'],
      ['GET', '/v1/assistants'],
      ['POST', '/v1/nonsense/path'],
    ];
    for (const [method, path] of surfaces) {
      const res = await fetch(`${gw.origin}${path}`, {
        method,
        headers: { authorization: `Bearer ${KEYS.alice}`, 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      });
      expect([400, 404], `${method} ${path}`).toContain(res.status);
      const err = expectOpenAIError(await res.json());
      expect(err.message.toLowerCase(), path).toMatch(/support|unknown|not found/);
      expect(res.headers.get('x-request-id')).toBeTruthy();
    }
    const sdk = await apiError(client(KEYS.alice).responses.create({ model: MODELS.nova, input: 'hi' }));
    expect([400, 404]).toContain(sdk.status);
  });

  it('wrong method on a known route is a clear 4xx in OpenAI shape', async () => {
    const res = await fetch(`${gw.baseURL}/chat/completions`, { headers: { authorization: `Bearer ${KEYS.alice}` } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expectOpenAIError(await res.json());
  });

  it('upstream throttling is a 429 rate_limit_error with Retry-After when Bedrock gave one', async () => {
    await emu.fault({
      type: 'throttle',
      model: 'amazon.nova-lite-v1:0',
      operation: 'Converse',
      count: 10,
      retryAfterSeconds: 60,
    });
    try {
      const r = await post('/v1/chat/completions', { model: MODELS.nova, messages: [{ role: 'user', content: 'x' }] });
      expect(r.status).toBe(429);
      expect(expectOpenAIError(r.json).type).toBe('rate_limit_error');
      expect(r.headers.get('retry-after')).toBe('60');
    } finally {
      await emu.clearFaults();
    }
  });

  it('transient upstream errors are retried invisibly', async () => {
    await emu.fault({ type: 'throttle', model: 'amazon.nova-lite-v1:0', operation: 'Converse', count: 1 });
    await emu.fault({ type: 'error', status: 503, model: 'amazon.nova-lite-v1:0', operation: 'Converse', count: 1 });
    try {
      const r = await client(KEYS.alice).chat.completions.create({
        model: MODELS.nova,
        messages: [{ role: 'user', content: 'retry me' }],
      });
      expect(r.choices[0]?.message.content).toBe('Echo: retry me');
    } finally {
      await emu.clearFaults();
    }
  });

  it('upstream 5xx after retries, model timeout and dropped connections map to OpenAI errors', async () => {
    const cases: Array<[Record<string, unknown>, number[]]> = [
      [{ type: 'error', status: 500 }, [500, 502]],
      [{ type: 'error', status: 503 }, [503]],
      [{ type: 'timeout' }, [408, 504]],
      [{ type: 'drop' }, [502, 503, 504]],
    ];
    for (const [fault, statuses] of cases) {
      await emu.fault({ ...fault, model: 'amazon.nova-lite-v1:0', operation: 'Converse' });
      try {
        const r = await post('/v1/chat/completions', {
          model: MODELS.nova,
          messages: [{ role: 'user', content: 'x' }],
        });
        expect(statuses, `${JSON.stringify(fault)} → ${r.status} ${r.text}`).toContain(r.status);
        expectOpenAIError(r.json);
      } finally {
        await emu.clearFaults();
      }
    }
  });

  it('a Bedrock validation error reaches the caller as a 400', async () => {
    const r = await post('/v1/chat/completions', {
      model: MODELS.nova,
      messages: [{ role: 'user', content: 'x' }],
      bedrock: { guardrailConfig: { guardrailIdentifier: 'g', guardrailVersion: 'NOPE' } },
    });
    expect(r.status).toBe(400);
    expectOpenAIError(r.json);
  });

  it('context-window overflow is 400 context_length_exceeded', async () => {
    const r = await post('/v1/chat/completions', {
      model: MODELS.llama,
      messages: [{ role: 'user', content: 'word '.repeat(110_000) }],
    });
    expect(r.status).toBe(400);
    expect(expectOpenAIError(r.json).code).toBe('context_length_exceeded');
  });

  it('bodies above the limit are 413 in OpenAI shape', async () => {
    // A caller still writing its body when the gateway answers must read the 413, not a reset (EPIPE) that
    // the SDK would report as a connection error and retry. Several tries: the race is timing-dependent.
    for (let i = 0; i < 3; i++) {
      const r = await post('/v1/chat/completions', {
        model: MODELS.nova,
        messages: [{ role: 'user', content: 'x'.repeat(21 * 1024 * 1024) }],
      });
      expect(r.status).toBe(413);
      expectOpenAIError(r.json, 'request_too_large');
    }
    const e = await apiError(
      client(KEYS.alice).chat.completions.create({
        model: MODELS.nova,
        messages: [{ role: 'user', content: 'x'.repeat(21 * 1024 * 1024) }],
      }),
    );
    expect(e.status).toBe(413);
    expect(e.code).toBe('request_too_large');
    expect(e.type).toBe('invalid_request_error');
  });
});

describe('request ids', () => {
  it('echoes a sane x-request-id and generates one otherwise, on success and on error', async () => {
    const ok = await post(
      '/v1/chat/completions',
      { model: MODELS.nova, messages: [{ role: 'user', content: 'x' }] },
      { 'x-request-id': 'my-req-42' },
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toBe('my-req-42');
    const gen = await post('/v1/chat/completions', { model: MODELS.nova, messages: [{ role: 'user', content: 'x' }] });
    const id1 = gen.headers.get('x-request-id');
    expect(id1).toBeTruthy();
    const gen2 = await post('/v1/chat/completions', { model: MODELS.nova, messages: [{ role: 'user', content: 'x' }] });
    expect(gen2.headers.get('x-request-id')).not.toBe(id1);
    const evil = await post(
      '/v1/chat/completions',
      { model: MODELS.nova, messages: [] },
      { 'x-request-id': 'a b<script>' },
    );
    expect(evil.headers.get('x-request-id')).not.toBe('a b<script>');
    expect(evil.headers.get('x-request-id')).toBeTruthy();
    const models = await fetch(`${gw.baseURL}/models`, { headers: { authorization: `Bearer ${KEYS.alice}` } });
    expect(models.headers.get('x-request-id')).toBeTruthy();
  });
});

describe('admin port and metrics', () => {
  it('serves healthz, readyz and Prometheus metrics with requests, latency, TTFT, tokens and cost', async () => {
    expect((await fetch(`${gw.admin}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gw.admin}/readyz`);
    expect(ready.status).toBe(200);
    // One streamed request so TTFT is observed.
    const s = await client(KEYS.alice).chat.completions.create({
      model: MODELS.nova,
      stream: true,
      messages: [{ role: 'user', content: 'metrics please' }],
    });
    for await (const _ of s) {
      // drain
    }
    await client(KEYS.alice).chat.completions.create({
      model: MODELS.nova,
      messages: [{ role: 'user', content: 'metrics again' }],
    });
    const text = await (await fetch(`${gw.admin}/metrics`)).text();
    const line = (re: RegExp) => text.split('\n').find((l) => re.test(l));
    expect(line(/^aigw_requests_total\{.*account="keys".*\} \d+/), 'requests_total').toBeTruthy();
    expect(line(/^aigw_requests_total\{.*status="200".*\}/), 'requests_total status').toBeTruthy();
    expect(line(/^aigw_requests_total\{.*status="401".*\}/), 'requests_total 401').toBeTruthy();
    expect(line(/^aigw_request_duration_seconds_bucket\{/), 'duration').toBeTruthy();
    expect(line(/^aigw_time_to_first_token_seconds_count\{.*\} [1-9]/), 'ttft').toBeTruthy();
    for (const kind of ['input', 'output']) {
      expect(line(new RegExp(`^aigw_tokens_total\\{.*kind="${kind}".*\\} [1-9]`)), `tokens ${kind}`).toBeTruthy();
    }
    // Nova Lite here is priced by the Model (1000/2000 USD per million): cost must be positive, by subject.
    const cost = line(/^aigw_cost_usd_total\{.*subject="user:alice@example.com".*\}/);
    expect(cost, 'cost').toBeTruthy();
    expect(Number(cost?.split(' ').at(-1))).toBeGreaterThan(0);
    // Secrets never in metrics.
    expect(text).not.toContain(KEYS.alice);
    expect(text).not.toContain(EMU_SECRET_ACCESS_KEY);
  });
});

describe('upstream credentials that do not work', () => {
  let bad: Gateway | undefined;
  let badDir: string | undefined;
  beforeAll(async () => {
    const wrongSecret = 'WRONGsecretWRONGsecretWRONGsecretWRONG00';
    const wrongApiKey = 'ABSKbm9wZW5vcGVub3Bl';
    badDir = await makeConfigDir({
      'accounts.yaml': accountsYaml(emu.url)
        .replace(EMU_SECRET_ACCESS_KEY, wrongSecret)
        .replace(Buffer.from(EMU_BEDROCK_API_KEY).toString('base64'), Buffer.from(wrongApiKey).toString('base64')),
      'models.yaml': modelsYaml(),
      'keys.yaml': apiKeysYaml(),
    });
    // No AWS_* in the environment: the default chain finds nothing.
    bad = await startGatewayProcess(badDir);
  }, 30_000);
  afterAll(async () => {
    await bad?.stop();
    await removeDir(badDir);
  });

  it('each auth type fails with an OpenAI error that names no secret, never a hang or a crash', async () => {
    for (const model of [MODELS.nova, MODELS.roleNova, MODELS.bearerNova, MODELS.chainNova]) {
      for (const stream of [false, true]) {
        const res = await fetch(`${bad?.baseURL}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.alice}` },
          body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'x' }] }),
        });
        expect([403, 502, 503], `${model} stream=${stream}`).toContain(res.status);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        const text = await res.text();
        const err = expectOpenAIError(JSON.parse(text));
        expect(text).not.toContain('WRONGsecret');
        expect(text).not.toContain('ABSKbm9wZW5vcGVub3Bl');
        expect(['upstream_access_denied', 'upstream_credentials_unavailable'], `${model}: ${err.message}`).toContain(
          err.code,
        );
      }
    }
    // The process is still serving.
    expect((await fetch(`${bad?.admin}/healthz`)).status).toBe(200);
  });
});

describe('regions: the Model region override and an ARN region are what requests are signed for', () => {
  let euEmu: Emulator | undefined;
  let euGw: Gateway | undefined;
  let euDir: string | undefined;
  beforeAll(async () => {
    euDir = await makeConfigDir({ 'emulator.yaml': 'region: eu-west-1\n' });
    // An emulator pinned to eu-west-1 refuses SigV4 scopes of any other region.
    euEmu = await startEmulatorProcess(`${euDir}/emulator.yaml`);
    euGw = await startGatewayProcess(
      await makeConfigDir({
        'accounts.yaml': accountsYaml(euEmu.url),
        'models.yaml': `${modelsYaml()}---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova-lite-eu-arn, namespace: acc }
spec: { account: keys, modelId: "arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-lite-v1:0" }
`,
        'keys.yaml': apiKeysYaml(),
      }),
    );
  }, 30_000);
  afterAll(async () => {
    await euGw?.stop();
    await euEmu?.stop();
    await removeDir(euGw?.dir);
    await removeDir(euDir);
  });

  it('serves the eu-west-1 models of a us-east-1 account; the other regions are signed as such', async () => {
    const c = new OpenAI({ baseURL: euGw?.baseURL, apiKey: KEYS.alice, maxRetries: 0 });
    // region: eu-west-1 on the Model
    expect(
      (await c.chat.completions.create({ model: MODELS.microEu, messages: [{ role: 'user', content: 'eu' }] }))
        .choices[0]?.message.content,
    ).toBe('Echo: eu');
    // an ARN's own region
    expect(
      (
        await c.chat.completions.create({
          model: 'keys/nova-lite-eu-arn',
          messages: [{ role: 'user', content: 'arn' }],
        })
      ).choices[0]?.message.content,
    ).toBe('Echo: arn');
    // the account's us-east-1 and the us-west-2 ARN are signed for their own regions, which this endpoint refuses
    for (const model of [MODELS.nova, MODELS.novaArn]) {
      const e = await apiError(c.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }));
      expect(e.status, model).toBe(403);
      expect(e.message).toMatch(/region/);
    }
  });
});
