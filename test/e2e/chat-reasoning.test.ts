/**
 * Extended thinking through the official openai SDK: `reasoning_effort` budgets, the native `thinking`
 * parameter, the parameters Bedrock forbids with thinking, `reasoning_content` / `thinking_blocks` in
 * responses and streams, and a multi-turn tool loop that sends the signed thinking blocks back (the
 * emulator verifies each signature, as Anthropic does).
 *
 * The emulator's reasoning text is `Reasoning about: <last user text>` (`the request` when there is
 * none); Claude's block carries an HMAC signature; `[[redacted]]` makes it a redacted block.
 */
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { converseDirect } from './chat-direct.js';
import { apiError, collect, type GatewayMessage, M, tokens, useChatStack } from './chat-stack.js';

const chat = useChatStack();

type Params = OpenAI.ChatCompletionCreateParamsNonStreaming & {
  thinking?: { type: 'enabled'; budget_tokens: number } | { type: 'disabled' } | { type: 'adaptive' };
  top_k?: number;
};

const WEATHER: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

function thinkingOf(body: { additionalModelRequestFields?: Record<string, unknown> }): unknown {
  return body.additionalModelRequestFields?.thinking;
}

describe('reasoning_effort → Anthropic thinking budget', () => {
  it.each([
    ['low', 10_000, 3000, 10_000],
    ['medium', 10_000, 6000, 10_000],
    ['high', 10_000, 9000, 10_000],
    // No max_tokens: 16,384 is assumed (the model allows 64,000).
    ['high', undefined, 14_745, 16_384],
    // 30 % of 1,500 is under Bedrock's 1,024 minimum: the budget is raised to it, still below max_tokens.
    ['low', 1500, 1024, 1500],
    // The 1,024 minimum does not fit under max_tokens 1,000: max_tokens is raised to budget + 1,000.
    ['low', 1000, 1024, 2024],
  ] as const)('%s with max_tokens %s → budget %s, maxTokens %s', async (effort, max, budget, maxTokens) => {
    const { data, response } = await chat.client.chat.completions
      .create({
        model: M.sonnet45,
        reasoning_effort: effort,
        ...(max ? { max_tokens: max } : {}),
        messages: [{ role: 'user', content: 'think about it' }],
      })
      .withResponse();
    const body = chat.lastBody();
    expect(thinkingOf(body)).toEqual({ type: 'enabled', budget_tokens: budget });
    expect(body.inferenceConfig?.maxTokens).toBe(maxTokens);
    if (max !== undefined && max !== maxTokens) {
      expect(response.headers.get('x-aigateway-warnings')).toMatch(
        /max_tokens raised from 1000 to 2024 to fit a thinking budget of 1024/,
      );
    }
    const message = data.choices[0]!.message as GatewayMessage;
    expect(message.content).toBe('Echo: think about it');
    expect(message.reasoning_content).toBe('Reasoning about: think about it');
    expect(data.usage!.completion_tokens).toBe(
      tokens('Reasoning about: think about it') + tokens('Echo: think about it'),
    );
  });

  it("'none' sends no thinking and returns no reasoning", async () => {
    const res = await chat.client.chat.completions.create({
      model: M.sonnet45,
      reasoning_effort: 'none' as OpenAI.ReasoningEffort,
      messages: [{ role: 'user', content: 'quick' }],
    });
    expect(thinkingOf(chat.lastBody())).toBeUndefined();
    expect((res.choices[0]!.message as GatewayMessage).reasoning_content).toBeUndefined();
  });

  it('the native thinking parameter passes through unchanged (maxTokens filled in above the budget)', async () => {
    const res = await chat.client.chat.completions.create({
      model: M.sonnet37,
      thinking: { type: 'enabled', budget_tokens: 2000 },
      messages: [{ role: 'user', content: 'native' }],
    } as Params);
    expect(thinkingOf(chat.lastBody())).toEqual({ type: 'enabled', budget_tokens: 2000 });
    expect(chat.lastBody().inferenceConfig!.maxTokens).toBeGreaterThan(2000);
    expect((res.choices[0]!.message as GatewayMessage).reasoning_content).toBe('Reasoning about: native');
  });

  it('a thinking budget under 1,024 is a 400 before any upstream call', async () => {
    const before = chat.callCount();
    const err = await apiError(
      chat.client.chat.completions.create({
        model: M.sonnet45,
        thinking: { type: 'enabled', budget_tokens: 500 },
        messages: [{ role: 'user', content: 'x' }],
      } as Params),
    );
    expect([err.status, err.param]).toEqual([400, 'thinking.budget_tokens']);
    expect(chat.callCount()).toBe(before);
  });
});

const FINAL_TURN_RULE =
  /^messages\.1\.content\.0\.type: Expected `thinking` or `redacted_thinking`, but found `(text|tool_use)`\. When `thinking` is enabled, a final `assistant` message must start with a thinking block/;

describe('an assistant prefill with thinking (Anthropic allows no prefill while thinking)', () => {
  const prefill: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'user', content: 'Name a colour' },
    { role: 'assistant', content: 'The colour is' },
  ];

  it('straight to Bedrock, a trailing assistant message with thinking on is refused', async () => {
    const refused = await converseDirect(chat, 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', {
      messages: [
        { role: 'user', content: [{ text: 'Name a colour' }] },
        { role: 'assistant', content: [{ text: 'The colour is' }] },
      ],
      inferenceConfig: { maxTokens: 4096 },
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 2048 } },
    });
    expect(refused).toMatchObject({ ok: false, name: 'ValidationException', status: 400 });
    expect(refused.ok ? '' : refused.message).toMatch(FINAL_TURN_RULE);
    expect(refused.ok ? '' : refused.message).toContain('found `text`');
  });

  it.each([
    ['reasoning_effort', { reasoning_effort: 'medium' as const }],
    ['the native thinking parameter', { thinking: { type: 'enabled' as const, budget_tokens: 2048 } }],
  ])(
    'through the gateway (%s): reasoning is turned off for that turn with a warning, the prefill is kept',
    async (_how, extra) => {
      for (const stream of [false, true]) {
        const request = { model: M.sonnet45, messages: prefill, ...extra } as Params;
        const { data, response } = stream
          ? await chat.client.chat.completions.create({ ...request, stream: true }).withResponse()
          : await chat.client.chat.completions.create(request).withResponse();
        expect(response.status).toBe(200);
        expect(response.headers.get('x-aigateway-warnings')).toMatch(/reasoning turned off for this turn.*prefill/);
        const body = chat.lastBody();
        expect(thinkingOf(body)).toBeUndefined();
        expect(body.messages.at(-1)).toEqual({ role: 'assistant', content: [{ text: 'The colour is' }] });
        if (stream) {
          const got = await collect(data as AsyncIterable<OpenAI.ChatCompletionChunk>);
          expect(got.reasoning).toBe('');
          expect(got.finishReason).toBe('stop');
        } else {
          const message = (data as OpenAI.ChatCompletion).choices[0]!.message as GatewayMessage;
          expect(message.reasoning_content).toBeUndefined();
        }
      }
    },
  );
});

describe('parameters Bedrock forbids with thinking', () => {
  it('temperature, top_p and top_k are dropped with warnings (Bedrock would refuse the request)', async () => {
    const { data, response } = await chat.client.chat.completions
      .create({
        model: M.sonnet45,
        reasoning_effort: 'low',
        temperature: 0.3,
        top_p: 0.5,
        top_k: 40,
        messages: [{ role: 'user', content: 'sampled' }],
      } as Params)
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('Echo: sampled');
    const body = chat.lastBody();
    expect(body.inferenceConfig?.temperature).toBeUndefined();
    expect(body.inferenceConfig?.topP).toBeUndefined();
    expect(body.additionalModelRequestFields?.top_k).toBeUndefined();
    const warnings = response.headers.get('x-aigateway-warnings') ?? '';
    expect(warnings).toMatch(/temperature ignored/);
    expect(warnings).toMatch(/top_p ignored/);
    expect(warnings).toMatch(/top_k ignored/);
  });

  it('forced tool choice with thinking is a 400 (Bedrock allows only auto with thinking), stream and not', async () => {
    for (const tool_choice of ['required', { type: 'function', function: { name: 'get_weather' } }] as const) {
      for (const stream of [false, true]) {
        const err = await apiError(
          chat.client.chat.completions.create({
            model: M.sonnet45,
            stream,
            reasoning_effort: 'medium',
            tools: [WEATHER],
            tool_choice,
            messages: [{ role: 'user', content: 'x' }],
          }),
        );
        expect([err.status, err.param]).toEqual([400, 'tool_choice']);
      }
    }
  });

  it('structured output with thinking on a forced-tool model keeps tool choice auto', async () => {
    const res = await chat.client.chat.completions.create({
      model: M.sonnet37,
      reasoning_effort: 'low',
      // The emulator calls a tool under `auto` only when the text names it.
      messages: [{ role: 'user', content: 'answer through json_response' }],
      response_format: { type: 'json_object' },
    });
    expect(chat.lastBody().toolConfig!.toolChoice).toEqual({ auto: {} });
    expect(res.choices[0]!.message.content).toBe('{}');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect((res.choices[0]!.message as GatewayMessage).reasoning_content).toBe(
      'Reasoning about: answer through json_response',
    );
  });
});

describe.each([
  ['Claude Sonnet 4.5', M.sonnet45],
  ['Claude 3.7 Sonnet', M.sonnet37],
])('reasoning output on %s', (_name, model) => {
  it('non-streaming: reasoning_content and a signed thinking block', async () => {
    const res = await chat.client.chat.completions.create({
      model,
      reasoning_effort: 'low',
      messages: [{ role: 'user', content: 'why is the sky blue' }],
    });
    const message = res.choices[0]!.message as GatewayMessage;
    expect(message.reasoning_content).toBe('Reasoning about: why is the sky blue');
    expect(message.thinking_blocks).toEqual([
      {
        type: 'thinking',
        thinking: 'Reasoning about: why is the sky blue',
        signature: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/),
      },
    ]);
    expect(message.content).toBe('Echo: why is the sky blue');
  });

  it('streaming: delta.reasoning_content, then the signature in delta.thinking_blocks, then content', async () => {
    const got = await collect(
      await chat.client.chat.completions.create({
        model,
        stream: true,
        reasoning_effort: 'low',
        messages: [{ role: 'user', content: 'why is the sky blue' }],
      }),
    );
    expect(got.reasoning).toBe('Reasoning about: why is the sky blue');
    expect(got.thinkingBlocks).toEqual([
      { type: 'thinking', thinking: 'Reasoning about: why is the sky blue', signature: expect.any(String) },
    ]);
    expect(got.content).toBe('Echo: why is the sky blue');
    expect(got.finishReason).toBe('stop');
    // Reasoning deltas all come before the first content delta.
    const firstContent = got.chunks.findIndex((c) => (c.choices[0]?.delta.content ?? '') !== '');
    const lastReasoning = got.chunks.findLastIndex(
      (c) => (c.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content,
    );
    expect(lastReasoning).toBeLessThan(firstContent);
  });

  it('redacted thinking comes back as {type: redacted_thinking, data} and can be replayed', async () => {
    const first = await chat.client.chat.completions.create({
      model,
      reasoning_effort: 'low',
      messages: [{ role: 'user', content: 'secret [[redacted]]' }],
    });
    const message = first.choices[0]!.message as GatewayMessage;
    expect(message.thinking_blocks).toEqual([{ type: 'redacted_thinking', data: expect.any(String) }]);
    const streamed = await collect(
      await chat.client.chat.completions.create({
        model,
        stream: true,
        reasoning_effort: 'low',
        messages: [{ role: 'user', content: 'secret [[redacted]]' }],
      }),
    );
    expect(streamed.thinkingBlocks).toEqual([{ type: 'redacted_thinking', data: expect.any(String) }]);
    const second = await chat.client.chat.completions.create({
      model,
      reasoning_effort: 'low',
      messages: [
        { role: 'user', content: 'secret [[redacted]]' },
        message as OpenAI.ChatCompletionAssistantMessageParam,
        { role: 'user', content: 'go on' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe('Echo: go on');
    expect(chat.lastBody().messages[1]!.content[0]).toEqual({
      reasoningContent: {
        redactedContent:
          message.thinking_blocks![0]!.type === 'redacted_thinking' ? message.thinking_blocks![0]!.data : '',
      },
    });
  });
});

describe('multi-turn tool use with thinking (LiteLLM #14194)', () => {
  it('non-streaming: thinking blocks echoed back become reasoningContent first in the turn; the emulator verifies them', async () => {
    const user: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'use get_weather for Oslo' };
    const turn1 = await chat.client.chat.completions.create({
      model: M.sonnet45,
      reasoning_effort: 'medium',
      tools: [WEATHER],
      messages: [user],
    });
    const assistant = turn1.choices[0]!.message as GatewayMessage;
    expect(turn1.choices[0]!.finish_reason).toBe('tool_calls');
    expect(assistant.thinking_blocks?.[0]).toMatchObject({
      type: 'thinking',
      thinking: 'Reasoning about: use get_weather for Oslo',
    });
    const call = assistant.tool_calls![0]!;

    const turn2 = await chat.client.chat.completions.create({
      model: M.sonnet45,
      reasoning_effort: 'medium',
      tools: [WEATHER],
      messages: [
        user,
        assistant as OpenAI.ChatCompletionAssistantMessageParam,
        { role: 'tool', tool_call_id: call.id, content: 'rain' },
      ],
    });
    expect(turn2.choices[0]!.message.content).toBe(`Tool results: ${call.id}: rain`);
    const sent = chat.lastBody().messages[1]!.content;
    expect(Object.keys(sent[0]!)).toEqual(['reasoningContent']);
    expect(sent[0]).toEqual({
      reasoningContent: {
        reasoningText: {
          text: 'Reasoning about: use get_weather for Oslo',
          signature: (assistant.thinking_blocks![0] as { signature: string }).signature,
        },
      },
    });
    expect(sent.slice(1).map((b) => Object.keys(b)[0])).toEqual(['text', 'toolUse']);
  });

  it('streaming: the caller rebuilds the thinking block from the deltas and the next turn is accepted', async () => {
    const user: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'use get_weather for Bergen' };
    const turn1 = await collect(
      await chat.client.chat.completions.create({
        model: M.sonnet45,
        stream: true,
        reasoning_effort: 'medium',
        tools: [WEATHER],
        messages: [user],
      }),
    );
    expect(turn1.finishReason).toBe('tool_calls');
    const signature = (turn1.thinkingBlocks[0] as { signature: string }).signature;
    const call = turn1.toolCalls[0]!;
    const assistant = {
      role: 'assistant',
      content: turn1.content,
      tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }],
      thinking_blocks: [{ type: 'thinking', thinking: turn1.reasoning, signature }],
    } as OpenAI.ChatCompletionAssistantMessageParam;
    const turn2 = await collect(
      await chat.client.chat.completions.create({
        model: M.sonnet45,
        stream: true,
        reasoning_effort: 'medium',
        tools: [WEATHER],
        messages: [user, assistant, { role: 'tool', tool_call_id: call.id, content: 'fog' }],
      }),
    );
    expect(turn2.content).toBe(`Tool results: ${call.id}: fog`);
    expect(turn2.reasoning).toBe('Reasoning about: the request');
  });

  // Anthropic requires the last assistant tool-use turn to start with its thinking block when thinking is
  // on ("Expected `thinking` or `redacted_thinking`, but found `tool_use`"). Clients that do not send the
  // blocks back get thinking turned off for that turn (docs/chat-request-mapping.md, Reasoning).
  it('a tool-use turn replayed without its thinking blocks turns thinking off for that turn, with a warning', async () => {
    const user: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'use get_weather for Narvik' };
    const turn1 = await chat.client.chat.completions.create({
      model: M.sonnet45,
      reasoning_effort: 'low',
      tools: [WEATHER],
      messages: [user],
    });
    const { thinking_blocks: _dropped, reasoning_content: _r, ...bare } = turn1.choices[0]!.message as GatewayMessage;
    const callId = bare.tool_calls![0]!.id;
    const { data, response } = await chat.client.chat.completions
      .create({
        model: M.sonnet45,
        reasoning_effort: 'low',
        tools: [WEATHER],
        messages: [
          user,
          bare as OpenAI.ChatCompletionAssistantMessageParam,
          { role: 'tool', tool_call_id: callId, content: 'x' },
        ],
      })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe(`Tool results: ${callId}: x`);
    expect((data.choices[0]!.message as GatewayMessage).reasoning_content).toBeUndefined();
    expect(thinkingOf(chat.lastBody())).toBeUndefined();
    expect(response.headers.get('x-aigateway-warnings')).toMatch(/reasoning turned off for this turn/);
  });

  it('straight to Bedrock, the same tool turn without its reasoning block is refused while thinking is on', async () => {
    const messages = [
      { role: 'user', content: [{ text: 'use get_weather for Narvik' }] },
      {
        role: 'assistant',
        content: [{ toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: { city: 'Narvik' } } }],
      },
      { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_1', content: [{ text: 'x' }] } }] },
    ];
    const toolConfig = { tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object' } } } }] };
    const refused = await converseDirect(chat, 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', {
      messages,
      toolConfig,
      inferenceConfig: { maxTokens: 4096 },
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 2048 } },
    });
    expect(refused).toMatchObject({ ok: false, name: 'ValidationException', status: 400 });
    expect(refused.ok ? '' : refused.message).toMatch(FINAL_TURN_RULE);
    expect(refused.ok ? '' : refused.message).toContain('found `tool_use`');
    // Without thinking the same history is fine.
    expect(
      await converseDirect(chat, 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', { messages, toolConfig }),
    ).toMatchObject({
      ok: true,
    });
  });

  it('a tampered thinking block is rejected upstream, so the replay above really was checked', async () => {
    const user: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'use get_weather for Tromso' };
    const turn1 = await chat.client.chat.completions.create({
      model: M.sonnet45,
      reasoning_effort: 'low',
      tools: [WEATHER],
      messages: [user],
    });
    const assistant = turn1.choices[0]!.message as GatewayMessage;
    const block = assistant.thinking_blocks![0] as { type: 'thinking'; thinking: string; signature: string };
    const tampered = { ...assistant, thinking_blocks: [{ ...block, thinking: `${block.thinking}!` }] };
    const err = await apiError(
      chat.client.chat.completions.create({
        model: M.sonnet45,
        reasoning_effort: 'low',
        tools: [WEATHER],
        messages: [
          user,
          tampered as OpenAI.ChatCompletionAssistantMessageParam,
          { role: 'tool', tool_call_id: assistant.tool_calls![0]!.id, content: 'x' },
        ],
      }),
    );
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/signature/);
  });
});

describe('reasoning on other families', () => {
  it('DeepSeek R1 always reasons: reasoning_content without signature, stream and not', async () => {
    const res = await chat.client.chat.completions.create({
      model: M.deepseekR1,
      messages: [{ role: 'user', content: 'prove it' }],
    });
    const message = res.choices[0]!.message as GatewayMessage;
    expect(message.reasoning_content).toBe('Reasoning about: prove it');
    expect(message.thinking_blocks).toEqual([{ type: 'thinking', thinking: 'Reasoning about: prove it' }]);
    expect(message.content).toBe('Echo: prove it');
    const got = await collect(
      await chat.client.chat.completions.create({
        model: M.deepseekR1,
        stream: true,
        messages: [{ role: 'user', content: 'prove it' }],
      }),
    );
    expect(got.reasoning).toBe('Reasoning about: prove it');
    expect(got.content).toBe('Echo: prove it');
  });

  it('gpt-oss takes reasoning_effort as its own field', async () => {
    const res = await chat.client.chat.completions.create({
      model: M.gptOss,
      reasoning_effort: 'high',
      messages: [{ role: 'user', content: 'deep' }],
    });
    expect(chat.lastBody().additionalModelRequestFields).toEqual({ reasoning_effort: 'high' });
    expect((res.choices[0]!.message as GatewayMessage).reasoning_content).toBe('Reasoning about: deep');
  });

  it('Nova and Llama refuse reasoning_effort and thinking with a 400 naming the model', async () => {
    const before = chat.callCount();
    for (const model of [M.novaLite, M.llama33]) {
      const effort = await apiError(
        chat.client.chat.completions.create({
          model,
          reasoning_effort: 'low',
          messages: [{ role: 'user', content: 'x' }],
        }),
      );
      expect([effort.status, effort.param]).toEqual([400, 'reasoning_effort']);
      expect(effort.message).toContain(model);
      const thinking = await apiError(
        chat.client.chat.completions.create({
          model,
          thinking: { type: 'enabled', budget_tokens: 2000 },
          messages: [{ role: 'user', content: 'x' }],
        } as Params),
      );
      expect([thinking.status, thinking.param]).toEqual([400, 'thinking']);
    }
    expect(chat.callCount()).toBe(before);
  });

  it('thinking blocks sent back to Nova are left out with a warning (Nova does not take them)', async () => {
    const { data, response } = await chat.client.chat.completions
      .create({
        model: M.novaLite,
        messages: [
          { role: 'user', content: 'a' },
          {
            role: 'assistant',
            content: 'b',
            thinking_blocks: [{ type: 'thinking', thinking: 'hmm', signature: 'c2ln' }],
          } as OpenAI.ChatCompletionAssistantMessageParam,
          { role: 'user', content: 'c' },
        ],
      })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('Echo: c');
    expect(chat.lastBody().messages[1]!.content).toEqual([{ text: 'b' }]);
    expect(response.headers.get('x-aigateway-warnings')).toMatch(/thinking_blocks/);
  });
});
