/**
 * One OpenAI request across every Bedrock model family, through the official openai SDK: what each family
 * accepts comes from the capability table (unsupported features are 400s naming the model), every Converse
 * stopReason maps to a finish_reason (driven by the emulator's `[[stop:<reason>]]` directive), and the
 * OpenAI parameters Bedrock lacks are refused or ignored as docs/api-compatibility.md says: `n`, `seed`,
 * `logprobs`, penalties, `user`/`metadata` → requestMetadata, `top_k` and the `bedrock` passthrough.
 */
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { converseDirect } from './chat-direct.js';
import { apiError, collect, M, useChatStack } from './chat-stack.js';

const chat = useChatStack();

type Extra = OpenAI.ChatCompletionCreateParamsNonStreaming & { top_k?: number; bedrock?: Record<string, unknown> };

const CONVERSATION: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You answer in one short sentence.' },
  { role: 'user', content: 'first question' },
  { role: 'assistant', content: 'first answer' },
  { role: 'user', content: 'second question' },
];

describe('the same request on every family', () => {
  it.each([
    ['Anthropic', M.sonnet45, true],
    ['Nova', M.novaLite, true],
    ['Llama', M.llama33, true],
    ['Mistral Large', M.mistralLarge, true],
    ['Mistral 7B (no system prompt)', M.mistral7b, false],
    ['Cohere Command R', M.commandR, true],
    ['DeepSeek R1', M.deepseekR1, true],
    ['gpt-oss', M.gptOss, true],
    ['Titan Text (no system prompt)', M.titanText, false],
  ])('%s answers, stream and not; the system prompt goes where the model takes it', async (_name, model, system) => {
    const res = await chat.client.chat.completions.create({ model, messages: CONVERSATION, max_tokens: 200 });
    expect(res.choices[0]!.message.content).toBe('Echo: second question');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.model).toBe(model);
    const body = chat.lastBody();
    if (system) {
      expect(body.system).toEqual([{ text: 'You answer in one short sentence.' }]);
    } else {
      // Folded into the first user turn instead of being dropped.
      expect(body.system).toBeUndefined();
      expect(body.messages[0]!.content[0]).toEqual({ text: 'You answer in one short sentence.' });
    }
    const got = await collect(
      await chat.client.chat.completions.create({
        model,
        messages: CONVERSATION,
        max_tokens: 200,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    expect(got.content).toBe('Echo: second question');
    expect(got.finishReason).toBe('stop');
    expect(got.usage!.completion_tokens).toBe(res.usage!.completion_tokens);
    expect(got.usage!.prompt_tokens).toBe(res.usage!.prompt_tokens);
  });

  it.each([
    ['Titan Text', M.titanText],
    ['Mistral 7B', M.mistral7b],
    ['DeepSeek R1', M.deepseekR1],
  ])('%s has no tool use: tools are a 400 naming the model, before any upstream call', async (_name, model) => {
    const before = chat.callCount();
    for (const stream of [false, true]) {
      const err = await apiError(
        chat.client.chat.completions.create({
          model,
          stream,
          tools: [{ type: 'function', function: { name: 'f' } }],
          messages: [{ role: 'user', content: 'x' }],
        }),
      );
      expect([err.status, err.param, err.type]).toEqual([400, 'tools', 'invalid_request_error']);
      expect(err.message).toContain(model);
    }
    expect(chat.callCount()).toBe(before);
  });

  it('Cohere takes tools but not forced tool choice', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'lookup' } }];
    const ok = await chat.client.chat.completions.create({
      model: M.commandR,
      tools,
      messages: [{ role: 'user', content: 'please lookup' }],
    });
    expect(ok.choices[0]!.finish_reason).toBe('tool_calls');
    const err = await apiError(
      chat.client.chat.completions.create({
        model: M.commandR,
        tools,
        tool_choice: 'required',
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    expect([err.status, err.param]).toEqual([400, 'tool_choice']);
    expect(err.message).toContain(M.commandR);
  });
});

describe('sampling parameters per family', () => {
  it('straight to Bedrock, temperature and topP together on Claude 4.5 are refused (Claude 3.7 takes them)', async () => {
    const body = {
      messages: [{ role: 'user', content: [{ text: 'both' }] }],
      inferenceConfig: { temperature: 0.4, topP: 0.8 },
    };
    const refused = await converseDirect(chat, 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', body);
    expect(refused).toMatchObject({
      ok: false,
      name: 'ValidationException',
      status: 400,
      message: '`temperature` and `top_p` cannot both be specified for this model. Please use only one.',
    });
    expect(await converseDirect(chat, 'us.anthropic.claude-3-7-sonnet-20250219-v1:0', body)).toMatchObject({
      ok: true,
    });
  });

  it('Claude 4.5 takes temperature or top_p, not both: temperature is kept, top_p dropped with a warning', async () => {
    const { data, response } = await chat.client.chat.completions
      .create({ model: M.sonnet45, temperature: 0.4, top_p: 0.8, messages: [{ role: 'user', content: 'both' }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('Echo: both');
    expect(chat.lastBody().inferenceConfig).toEqual({ temperature: 0.4 });
    expect(response.headers.get('x-aigateway-warnings')).toMatch(/top_p ignored/);
    await chat.client.chat.completions.create({
      model: M.sonnet45,
      top_p: 0.8,
      messages: [{ role: 'user', content: 'p' }],
    });
    expect(chat.lastBody().inferenceConfig).toEqual({ topP: 0.8 });
  });

  it('other families get both', async () => {
    for (const model of [M.novaLite, M.llama33, M.sonnet37]) {
      await chat.client.chat.completions.create({
        model,
        temperature: 0.4,
        top_p: 0.8,
        messages: [{ role: 'user', content: 'b' }],
      });
      expect(chat.lastBody().inferenceConfig).toEqual({ temperature: 0.4, topP: 0.8 });
    }
  });

  it('max_tokens above the model maximum is lowered to it with a warning', async () => {
    const { response } = await chat.client.chat.completions
      .create({ model: M.llama33, max_tokens: 100_000, messages: [{ role: 'user', content: 'long' }] })
      .withResponse();
    expect(chat.lastBody().inferenceConfig!.maxTokens).toBe(8192);
    expect(response.headers.get('x-aigateway-warnings')).toMatch(/max_tokens lowered from 100000 to 8192/);
  });
});

describe('every Converse stopReason', () => {
  const cases = [
    ['end_turn', 'stop', undefined, 'Echo: go'],
    ['stop_sequence', 'stop', undefined, 'Echo: go'],
    ['max_tokens', 'length', undefined, 'Echo: go'],
    ['tool_use', 'stop', undefined, 'Echo: go'], // no tool call in the message: nothing for the caller to run
    ['guardrail_intervened', 'content_filter', 'guardrail_intervened', 'Sorry, the model cannot answer this question.'],
    ['content_filtered', 'content_filter', undefined, ''],
    ['malformed_model_output', 'stop', 'malformed_model_output', ''],
    ['malformed_tool_use', 'stop', 'malformed_tool_call', ''],
    ['model_context_window_exceeded', 'length', 'context_window_exceeded', 'Echo: go'],
  ] as const;

  describe.each([
    ['Anthropic', M.sonnet45],
    ['Nova', M.novaLite],
  ])('on %s', (_family, model) => {
    it.each(cases)('%s → %s (detail %s), stream and not', async (reason, finish, detail, content) => {
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: `go [[stop:${reason}]]` }];
      const res = await chat.client.chat.completions.create({ model, messages });
      const choice = res.choices[0]! as OpenAI.ChatCompletion.Choice & { finish_detail?: string };
      expect(choice.finish_reason).toBe(finish);
      expect(choice.finish_detail).toBe(detail);
      expect(choice.message.content).toBe(content);
      const got = await collect(await chat.client.chat.completions.create({ model, messages, stream: true }));
      expect(got.finishReason).toBe(finish);
      const finishChunk = got.chunks.find((c) => c.choices[0]?.finish_reason)!;
      expect((finishChunk.choices[0] as { finish_detail?: string }).finish_detail).toBe(detail);
      expect(got.content).toBe(content);
    });
  });

  it('a raw Bedrock stop reason never reaches the caller', async () => {
    for (const [reason] of cases) {
      const raw = await chat.raw({ model: M.novaLite, messages: [{ role: 'user', content: `x [[stop:${reason}]]` }] });
      const finish = (raw.json as { choices: { finish_reason: string }[] }).choices[0]!.finish_reason;
      expect(['stop', 'length', 'tool_calls', 'content_filter']).toContain(finish);
    }
  });
});

describe('OpenAI parameters Bedrock lacks', () => {
  it('n > 1 is refused with a 400 on n; n = 1 is fine (stream and not)', async () => {
    for (const stream of [false, true]) {
      const err = await apiError(
        chat.client.chat.completions.create({
          model: M.sonnet45,
          n: 2,
          stream,
          messages: [{ role: 'user', content: 'x' }],
        }),
      );
      expect([err.status, err.param]).toEqual([400, 'n']);
    }
    const one = await chat.client.chat.completions.create({
      model: M.novaLite,
      n: 1,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(one.choices).toHaveLength(1);
  });

  it('logprobs and top_logprobs are refused with a 400 (Converse returns no log probabilities)', async () => {
    const logprobs = await apiError(
      chat.client.chat.completions.create({
        model: M.novaLite,
        logprobs: true,
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    expect([logprobs.status, logprobs.param]).toEqual([400, 'logprobs']);
    const top = await apiError(
      chat.client.chat.completions.create({
        model: M.novaLite,
        top_logprobs: 3,
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    expect([top.status, top.param]).toEqual([400, 'top_logprobs']);
    const off = await chat.client.chat.completions.create({
      model: M.novaLite,
      logprobs: false,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(off.choices[0]!.logprobs).toBeNull();
  });

  it('seed, penalties and logit_bias are ignored with a warning header', async () => {
    const { data, response } = await chat.client.chat.completions
      .create({
        model: M.sonnet45,
        seed: 42,
        presence_penalty: 0.5,
        frequency_penalty: 0.5,
        logit_bias: { '50256': -100 },
        messages: [{ role: 'user', content: 'seeded' }],
      })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('Echo: seeded');
    const warnings = response.headers.get('x-aigateway-warnings') ?? '';
    for (const field of ['seed', 'presence_penalty', 'frequency_penalty', 'logit_bias']) {
      expect(warnings).toContain(`${field} ignored`);
    }
  });

  it('stop as a string becomes a one-item stopSequences list', async () => {
    const res = await chat.client.chat.completions.create({
      model: M.llama33,
      stop: 'three',
      messages: [{ role: 'user', content: 'one two three four' }],
    });
    expect(res.choices[0]!.message.content).toBe('Echo: one two ');
    expect(chat.lastBody().inferenceConfig!.stopSequences).toEqual(['three']);
  });

  it('include_usage decides whether a usage chunk is sent', async () => {
    const without = await collect(
      await chat.client.chat.completions.create({
        model: M.novaLite,
        stream: true,
        messages: [{ role: 'user', content: 'u' }],
      }),
    );
    expect(without.usage).toBeNull();
    const withUsage = await collect(
      await chat.client.chat.completions.create({
        model: M.novaLite,
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'u' }],
      }),
    );
    const last = withUsage.chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: expect.any(Number), prompt_tokens: expect.any(Number) });
  });
});

describe('user and metadata → requestMetadata', () => {
  it.each([
    ['Anthropic', M.sonnet45],
    ['Nova', M.novaLite],
  ])('%s: sent within Bedrock’s charset (the emulator validates it), stream and not', async (_f, model) => {
    const request = {
      model,
      user: 'alice@example.com',
      metadata: { team: 'ml platform', ticket: 'JIRA-42', 'odd key!': 'v<1>' },
      store: false,
      messages: [{ role: 'user' as const, content: 'tagged' }],
    };
    const { data, response } = await chat.client.chat.completions.create(request).withResponse();
    expect(data.choices[0]!.message.content).toBe('Echo: tagged');
    expect(chat.lastBody().requestMetadata).toEqual({
      team: 'ml platform',
      ticket: 'JIRA-42',
      'odd key_': 'v_1_',
      user: 'alice@example.com',
    });
    expect(response.headers.get('x-aigateway-warnings')).toMatch(/metadata\/user adjusted/);
    const got = await collect(await chat.client.chat.completions.create({ ...request, stream: true }));
    expect(got.content).toBe('Echo: tagged');
    expect(chat.lastBody().requestMetadata).toMatchObject({ user: 'alice@example.com' });
  });

  it('more than 16 entries cannot fit and are a 400 on metadata', async () => {
    const metadata: Record<string, string> = {};
    for (let i = 0; i < 16; i++) metadata[`k${i}`] = 'v';
    const err = await apiError(
      chat.client.chat.completions.create({
        model: M.novaLite,
        metadata,
        user: 'one-too-many',
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    expect([err.status, err.param]).toEqual([400, 'metadata']);
  });
});

describe('top_k and the bedrock extra-body passthrough', () => {
  it.each([
    ['Anthropic', M.sonnet45, { top_k: 7 }],
    ['Nova', M.novaLite, { inferenceConfig: { topK: 7 } }],
    ['Mistral 7B', M.mistral7b, { top_k: 7 }],
    ['Cohere', M.commandR, { k: 7 }],
  ])('%s: top_k lands where the family reads it (stream and not)', async (_f, model, fields) => {
    for (const stream of [false, true]) {
      const request = { model, top_k: 7, stream, messages: [{ role: 'user', content: 'k' }] } as Extra;
      if (stream) {
        const got = await collect(
          await chat.client.chat.completions.create(request as unknown as OpenAI.ChatCompletionCreateParamsStreaming),
        );
        expect(got.content).toBe('Echo: k');
      } else {
        const res = await chat.client.chat.completions.create(request);
        expect(res.choices[0]!.message.content).toBe('Echo: k');
      }
      expect(chat.lastBody().additionalModelRequestFields).toEqual(fields);
    }
  });

  it.each([
    ['Llama', M.llama33, 'us.meta.llama3-3-70b-instruct-v1:0'],
    ['Mistral Large 24.07 (chat-completion body)', M.mistralLarge, 'mistral.mistral-large-2407-v1:0'],
  ])(
    '%s takes no top_k: Bedrock refuses the field, so the gateway answers 400 naming the model',
    async (_f, model, id) => {
      const direct = await converseDirect(chat, id, {
        messages: [{ role: 'user', content: [{ text: 'x' }] }],
        additionalModelRequestFields: { top_k: 5 },
      });
      expect(direct).toMatchObject({
        ok: false,
        status: 400,
        message:
          'Malformed input request: extraneous key [top_k] is not permitted, please reformat your input and try again.',
      });
      const calls = chat.callCount();
      const err = await apiError(
        chat.client.chat.completions.create({
          model,
          top_k: 5,
          messages: [{ role: 'user', content: 'x' }],
        } as Extra),
      );
      expect([err.status, err.param]).toEqual([400, 'top_k']);
      expect(err.message).toContain(model);
      expect(chat.callCount()).toBe(calls);
    },
  );

  it.each([
    ['Nova (reads inferenceConfig.topK)', 'amazon.nova-lite-v1:0', { top_k: 5 }, 'top_k'],
    ['Cohere (reads k)', 'cohere.command-r-v1:0', { top_k: 5 }, 'top_k'],
    ['Nova inferenceConfig with another key', 'amazon.nova-lite-v1:0', { inferenceConfig: { top_k: 5 } }, 'top_k'],
  ])('straight to Bedrock, a native field in the wrong family shape is refused: %s', async (_f, id, fields, key) => {
    const direct = await converseDirect(chat, id, {
      messages: [{ role: 'user', content: [{ text: 'x' }] }],
      additionalModelRequestFields: fields,
    });
    expect(direct).toMatchObject({
      ok: false,
      status: 400,
      message: expect.stringContaining(`extraneous key [${key}]`),
    });
  });

  it('bedrock.additionalModelRequestFields passes model-specific fields through and wins over mapped ones', async () => {
    const res = await chat.client.chat.completions.create({
      model: M.sonnet45,
      top_k: 3,
      bedrock: { additionalModelRequestFields: { top_k: 11 }, additionalModelResponseFieldPaths: ['/stop_sequence'] },
      stop: ['never-seen'],
      messages: [{ role: 'user', content: 'pass through' }],
    } as Extra);
    expect(res.choices[0]!.message.content).toBe('Echo: pass through');
    const body = chat.lastBody();
    expect(body.additionalModelRequestFields).toEqual({ top_k: 11 });
    expect(body.additionalModelResponseFieldPaths).toEqual(['/stop_sequence']);
  });

  it('a passthrough field the model does not know is Bedrock’s 400, surfaced as such', async () => {
    const err = await apiError(
      chat.client.chat.completions.create({
        model: M.sonnet45,
        bedrock: { additionalModelRequestFields: { no_such_field: true } },
        messages: [{ role: 'user', content: 'x' }],
      } as Extra),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/no_such_field/);
  });

  it('service_tier maps to serviceTier; scale is refused', async () => {
    await chat.client.chat.completions.create({
      model: M.novaLite,
      service_tier: 'priority',
      messages: [{ role: 'user', content: 'fast' }],
    });
    expect(chat.lastBody().serviceTier).toEqual({ type: 'priority' });
    const err = await apiError(
      chat.client.chat.completions.create({
        model: M.novaLite,
        service_tier: 'scale',
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    expect([err.status, err.param]).toEqual([400, 'service_tier']);
  });
});
