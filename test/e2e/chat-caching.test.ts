/**
 * Prompt caching through the official openai SDK: `cache_control` on system parts, message parts, whole
 * messages and tools becomes a `cachePoint` block after the marked block; the second identical prefix
 * is a cache read; usage reports reads as `prompt_tokens_details.cached_tokens` and writes as
 * `cache_creation_input_tokens` / `prompt_tokens_details.cache_creation_tokens`, with `prompt_tokens`
 * including both (stream and not).
 *
 * The emulator caches a prefix (tools → system → messages, up to a cachePoint) of at least the model's
 * minimum (1,024 tokens for Sonnet 4.5, 1,000 for Nova, 4,096 for Haiku 4.5) and counts one token per four
 * characters, so every number below is exact.
 */
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../emulator/src/catalog.js';
import { capabilitiesFor } from '../../gateway/src/models/index.js';
import { converseDirect } from './chat-direct.js';
import { apiError, collect, type GatewayUsage, M, tokens, useChatStack } from './chat-stack.js';

const chat = useChatStack();

let serial = 0;
/** A distinct long text of `n` tokens, so tests never share cache entries. */
function longText(n: number): string {
  const head = `Reference text ${++serial} for caching. `;
  return head + 'x'.repeat(n * 4 - head.length);
}

type Part = OpenAI.ChatCompletionContentPartText & { cache_control?: { type: 'ephemeral'; ttl?: '5m' | '1h' } };
function cached(text: string, ttl?: '5m' | '1h'): Part {
  return { type: 'text', text, cache_control: ttl ? { type: 'ephemeral', ttl } : { type: 'ephemeral' } };
}

function usageOf(u: OpenAI.CompletionUsage | null | undefined): {
  prompt: number;
  read: number | undefined;
  write: number | undefined;
  writeDetail: number | undefined;
} {
  const usage = u as GatewayUsage;
  return {
    prompt: usage.prompt_tokens,
    read: usage.prompt_tokens_details?.cached_tokens,
    write: usage.cache_creation_input_tokens,
    writeDetail: usage.prompt_tokens_details?.cache_creation_tokens,
  };
}

async function twice(request: OpenAI.ChatCompletionCreateParamsNonStreaming, stream: boolean) {
  if (!stream) {
    const first = await chat.client.chat.completions.create(request);
    const second = await chat.client.chat.completions.create(request);
    return [first.usage, second.usage];
  }
  const run = async () =>
    (
      await collect(
        await chat.client.chat.completions.create({
          ...request,
          stream: true,
          stream_options: { include_usage: true },
        }),
      )
    ).usage;
  return [await run(), await run()];
}

describe.each([
  ['Anthropic', M.sonnet45],
  ['Nova', M.novaLite],
])('cache points on %s', (_family, model) => {
  it.each([false, true])('system part: write on the first call, read on the second (stream: %s)', async (stream) => {
    const system = longText(1250);
    const request: OpenAI.ChatCompletionCreateParamsNonStreaming = {
      model,
      messages: [
        { role: 'system', content: [cached(system)] },
        { role: 'user', content: 'question one' },
      ],
    };
    const [first, second] = await twice(request, stream);
    const q = tokens('question one');
    expect(usageOf(first)).toEqual({ prompt: 1250 + q, read: 0, write: 1250, writeDetail: 1250 });
    expect(usageOf(second)).toEqual({ prompt: 1250 + q, read: 1250, write: 0, writeDetail: 0 });
    expect(first!.total_tokens).toBe(first!.prompt_tokens + first!.completion_tokens);
    expect(chat.lastBody().system).toEqual([{ text: system }, { cachePoint: { type: 'default' } }]);
  });

  it.each([false, true])('user message part and whole assistant message (stream: %s)', async (stream) => {
    const doc = longText(1100);
    const request: OpenAI.ChatCompletionCreateParamsNonStreaming = {
      model,
      messages: [
        { role: 'user', content: [cached(doc), { type: 'text', text: 'first question' }] },
        {
          role: 'assistant',
          content: 'first answer',
          cache_control: { type: 'ephemeral' },
        } as OpenAI.ChatCompletionAssistantMessageParam,
        { role: 'user', content: 'second question' },
      ],
    };
    const [first, second] = await twice(request, stream);
    // Two checkpoints: after the document, and after the assistant turn (the longer prefix wins).
    const upToAssistant = 1100 + tokens('first question') + tokens('first answer');
    expect(usageOf(first)).toMatchObject({ read: 0, write: upToAssistant });
    expect(usageOf(second)).toMatchObject({ read: upToAssistant, write: 0 });
    expect(usageOf(second).prompt).toBe(upToAssistant + tokens('second question'));
    const body = chat.lastBody();
    expect(body.messages[0]!.content).toEqual([
      { text: doc },
      { cachePoint: { type: 'default' } },
      { text: 'first question' },
    ]);
    expect(body.messages[1]!.content).toEqual([{ text: 'first answer' }, { cachePoint: { type: 'default' } }]);
  });

  it('a new suffix after a cached prefix reads the prefix and writes nothing new', async () => {
    const system = longText(1500);
    const base = (question: string): OpenAI.ChatCompletionCreateParamsNonStreaming => ({
      model,
      messages: [
        { role: 'system', content: [cached(system)] },
        { role: 'user', content: question },
      ],
    });
    const first = await chat.client.chat.completions.create(base('what is alpha'));
    const second = await chat.client.chat.completions.create(base('and what about beta then'));
    expect(usageOf(first.usage)).toMatchObject({ write: 1500, read: 0 });
    expect(usageOf(second.usage)).toEqual({
      prompt: 1500 + tokens('and what about beta then'),
      read: 1500,
      write: 0,
      writeDetail: 0,
    });
  });
});

describe('cache points on tools', () => {
  const tool = (n: number): OpenAI.ChatCompletionTool & { cache_control: { type: 'ephemeral' } } => ({
    type: 'function',
    function: {
      name: 'search_docs',
      description: longText(n),
      parameters: { type: 'object', properties: { q: { type: 'string' } } },
    },
    cache_control: { type: 'ephemeral' },
  });

  it('Anthropic caches tool definitions: cachePoint after the tool, read on the second call', async () => {
    const request: OpenAI.ChatCompletionCreateParamsNonStreaming = {
      model: M.sonnet45,
      tools: [tool(1200)],
      messages: [{ role: 'user', content: 'no tool needed' }],
    };
    const first = await chat.client.chat.completions.create(request);
    const sent = chat.lastBody().toolConfig!.tools;
    expect(sent[1]).toEqual({ cachePoint: { type: 'default' } });
    const toolTokens = tokens(JSON.stringify(sent[0]));
    const second = await chat.client.chat.completions.create(request);
    expect(usageOf(first.usage)).toMatchObject({ write: toolTokens, read: 0 });
    expect(usageOf(second.usage)).toMatchObject({ write: 0, read: toolTokens });
  });

  it('straight to Bedrock, Nova refuses a cachePoint in toolConfig.tools', async () => {
    const refused = await converseDirect(chat, 'amazon.nova-lite-v1:0', {
      toolConfig: {
        tools: [
          { toolSpec: { name: 'search_docs', inputSchema: { json: { type: 'object' } } } },
          { cachePoint: { type: 'default' } },
        ],
      },
      messages: [{ role: 'user', content: [{ text: 'hello' }] }],
    });
    expect(refused).toMatchObject({ ok: false, name: 'ValidationException', status: 400 });
    expect(refused.ok ? '' : refused.message).toMatch(/cache checkpoints in toolConfig\.tools/);
  });

  it('Nova does not cache tool definitions: the marker is dropped with a warning, the request still works', async () => {
    const { data, response } = await chat.client.chat.completions
      .create({ model: M.novaLite, tools: [tool(1200)], messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('Echo: hello');
    expect(chat.lastBody().toolConfig!.tools).toHaveLength(1);
    expect(response.headers.get('x-aigateway-warnings')).toMatch(/cache_control on tools ignored/);
  });
});

describe('ttl, limits and models without caching', () => {
  it('straight to Bedrock, ttl 1h is refused on Nova and on Claude before 4.5', async () => {
    for (const id of ['amazon.nova-lite-v1:0', 'us.anthropic.claude-3-7-sonnet-20250219-v1:0']) {
      const refused = await converseDirect(chat, id, {
        system: [{ text: 'sys' }, { cachePoint: { type: 'default', ttl: '1h' } }],
        messages: [{ role: 'user', content: [{ text: 'hi' }] }],
      });
      expect(refused).toMatchObject({ ok: false, name: 'ValidationException', status: 400 });
      expect(refused.ok ? '' : refused.message).toMatch(/1h cache TTL at system\.1\.cachePoint\.ttl/);
    }
  });

  it('ttl 1h is passed on Claude 4.5 and dropped (5 minutes) on Nova with a warning', async () => {
    await chat.client.chat.completions.create({
      model: M.sonnet45,
      messages: [
        { role: 'system', content: [cached(longText(1100), '1h')] },
        { role: 'user', content: 'hi' },
      ],
    });
    expect(chat.lastBody().system![1]).toEqual({ cachePoint: { type: 'default', ttl: '1h' } });
    const { response } = await chat.client.chat.completions
      .create({
        model: M.novaLite,
        messages: [
          { role: 'system', content: [cached(longText(1100), '1h')] },
          { role: 'user', content: 'hi' },
        ],
      })
      .withResponse();
    expect(chat.lastBody().system![1]).toEqual({ cachePoint: { type: 'default' } });
    expect(response.headers.get('x-aigateway-warnings')).toMatch(/ttl '1h' ignored/);
  });

  it('a prefix under the model minimum is not cached (Haiku 4.5 needs 4,096 tokens)', async () => {
    const request: OpenAI.ChatCompletionCreateParamsNonStreaming = {
      model: M.haiku45,
      messages: [
        { role: 'system', content: [cached(longText(2000))] },
        { role: 'user', content: 'hi' },
      ],
    };
    await chat.client.chat.completions.create(request);
    const second = await chat.client.chat.completions.create(request);
    expect(usageOf(second.usage)).toMatchObject({ read: 0, write: 0, prompt: 2000 + tokens('hi') });
  });

  it('at most 4 cache points: a fifth is a 400 naming it, before any upstream call (stream and not)', async () => {
    const before = chat.callCount();
    for (const stream of [false, true]) {
      const err = await apiError(
        chat.client.chat.completions.create({
          model: M.sonnet45,
          stream,
          messages: [
            { role: 'system', content: [cached('a'), cached('b'), cached('c')] },
            { role: 'user', content: [cached('d'), cached('e')] },
          ],
        }),
      );
      expect(err.status).toBe(400);
      expect(err.param).toBe('messages[1].content[1].cache_control');
      expect(err.message).toMatch(/at most 4/);
    }
    expect(chat.callCount()).toBe(before);
    // Exactly four is fine.
    const ok = await chat.client.chat.completions.create({
      model: M.sonnet45,
      messages: [
        { role: 'system', content: [cached('a'), cached('b'), cached('c')] },
        { role: 'user', content: [cached('d'), { type: 'text', text: 'e' }] },
      ],
    });
    expect(ok.choices[0]!.message.content).toBe('Echo: d e');
  });

  it('a model without prompt caching (Llama) gets the request without cache points and a warning', async () => {
    const { data, response } = await chat.client.chat.completions
      .create({
        model: M.llama33,
        messages: [
          { role: 'system', content: [cached('be brief')] },
          { role: 'user', content: 'hi' },
        ],
      })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('Echo: hi');
    expect(JSON.stringify(chat.lastBody())).not.toContain('cachePoint');
    expect(response.headers.get('x-aigateway-warnings')).toMatch(/cache_control ignored/);
    expect(usageOf(data.usage)).toMatchObject({ read: 0 });
  });

  it('without cache_control the cache fields are zero, not missing', async () => {
    const res = await chat.client.chat.completions.create({
      model: M.sonnet45,
      messages: [{ role: 'user', content: 'plain' }],
    });
    expect(usageOf(res.usage)).toEqual({ prompt: tokens('plain'), read: 0, write: 0, writeDetail: 0 });
  });
});

describe('cache tokens in the gateway metrics', () => {
  async function tokenCounter(kind: string): Promise<number> {
    const text = await (await fetch(`${chat.stack.gateway.admin!.url}/metrics`)).text();
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('aigw_tokens_total{') &&
          l.includes('account="demo"') &&
          l.includes('model="global-anthropic-claude-sonnet-4-5-20250929-v1-0"') &&
          l.includes(`kind="${kind}"`),
      );
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  it.each([false, true])('count cache reads and writes separately from input (stream: %s)', async (stream) => {
    const before = {
      input: await tokenCounter('input'),
      read: await tokenCounter('cache_read'),
      write: await tokenCounter('cache_write'),
    };
    const request: OpenAI.ChatCompletionCreateParamsNonStreaming = {
      model: M.sonnet45,
      messages: [
        { role: 'system', content: [cached(longText(1300))] },
        { role: 'user', content: 'metrics please' },
      ],
    };
    await twice(request, stream);
    const q = tokens('metrics please');
    expect({
      input: (await tokenCounter('input')) - before.input,
      read: (await tokenCounter('cache_read')) - before.read,
      write: (await tokenCounter('cache_write')) - before.write,
    }).toEqual({ input: 2 * q, read: 1300, write: 1300 });
  });
});

// The gateway's capability table and the emulator's catalog are independent readings of the Bedrock
// prompt-caching and parameter pages; where they disagree one of them misstates Bedrock, and the gateway
// would either refuse what Bedrock takes or send what it refuses.
describe('capability table and emulator catalog agree on caching and sampling details', () => {
  const chatModels = [...CATALOG.values()].filter((m) => m.type === 'chat');

  it.each(chatModels.map((m) => [m.id, m] as const))('%s', (id, model) => {
    const caps = capabilitiesFor(id, model.family);
    expect({
      cacheMinTokens: caps.promptCaching?.minTokens,
      cacheTools: caps.promptCaching?.tools ?? false,
      cacheTtl1h: caps.promptCaching?.ttl1h ?? false,
      exclusiveTemperatureTopP: caps.exclusiveTemperatureTopP,
    }).toEqual({
      cacheMinTokens: model.cacheMinTokens,
      cacheTools: model.cacheMinTokens !== undefined && model.cacheTools === true,
      cacheTtl1h: model.cacheMinTokens !== undefined && model.cacheTtl1h === true,
      exclusiveTemperatureTopP: model.exclusiveTemperatureTopP === true,
    });
    // Where the gateway puts top_k must be a field the model's native body takes.
    const topKField = { top_k: 'top_k', k: 'k', 'nova-inference-config': 'inferenceConfig', none: undefined }[
      caps.topK
    ];
    if (topKField !== undefined && model.additionalFields !== undefined) {
      expect(model.additionalFields).toContain(topKField);
    }
    if (topKField === undefined && model.additionalFields !== undefined) {
      expect(model.additionalFields).not.toContain('top_k');
    }
  });
});
