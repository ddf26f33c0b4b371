/**
 * Acceptance: the Converse validation rules and deterministic replies that docs/emulator.md promises,
 * sent to `aigw emulator` as raw JSON (bearer API key), one request per rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorProcess, LONG_TERM_API_KEY, spawnEmulator } from './emulator-harness.js';

const HAIKU3 = 'anthropic.claude-3-haiku-20240307-v1:0';
const SONNET45 = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const SONNET37 = 'us.anthropic.claude-3-7-sonnet-20250219-v1:0';
const NOVA_LITE = 'us.amazon.nova-lite-v1:0';
const MISTRAL7B = 'mistral.mistral-7b-instruct-v0:2';
const TITAN_TEXT = 'amazon.titan-text-express-v1';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').toString('base64');
const PDF = Buffer.from('%PDF-1.4\n%\u00e2\u00e3').toString('base64');

let emu: EmulatorProcess;

beforeAll(async () => {
  emu = await spawnEmulator();
});
afterAll(async () => {
  await emu?.close();
});

async function converse(
  modelId: string,
  body: Record<string, unknown>,
  op = 'converse',
): Promise<{ status: number; type: string; json: Record<string, unknown> }> {
  const res = await fetch(`${emu.url}/model/${encodeURIComponent(modelId)}/${op}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${LONG_TERM_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const type = (res.headers.get('x-amzn-errortype') ?? '').split(':')[0] ?? '';
  const text = await res.text();
  return {
    status: res.status,
    type,
    json: res.status === 200 && op !== 'converse' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

const user = (...content: unknown[]) => ({ role: 'user', content });
const assistant = (...content: unknown[]) => ({ role: 'assistant', content });
const text = (t: string) => ({ text: t });
const tool = (name: string) => ({ toolSpec: { name, inputSchema: { json: { type: 'object', properties: {} } } } });

type Case = [name: string, model: string, body: Record<string, unknown>, message: string | RegExp];

const cases: Case[] = [
  [
    'toolResult answering an id the previous turn did not use',
    HAIKU3,
    {
      toolConfig: { tools: [tool('f')] },
      messages: [
        user(text('hi')),
        assistant({ toolUse: { toolUseId: 'a1', name: 'f', input: {} } }),
        user({ toolResult: { toolUseId: 'zz', content: [text('r')] } }),
      ],
    },
    /^messages\.2\.content\.0: unexpected `tool_use_id` found in `tool_result` blocks: zz\. Each `tool_result` block must have a corresponding `tool_use` block in the previous message\.$/,
  ],
  [
    'toolUse left unanswered',
    NOVA_LITE,
    {
      toolConfig: { tools: [tool('f')] },
      messages: [
        user(text('hi')),
        assistant({ toolUse: { toolUseId: 'a1', name: 'f', input: {} } }),
        user(text('no result')),
      ],
    },
    'Expected toolResult blocks at messages.2.content for the following Ids: a1',
  ],
  [
    'duplicate tool names',
    HAIKU3,
    { toolConfig: { tools: [tool('f'), tool('f')] }, messages: [user(text('x'))] },
    'tools: Tool names must be unique.',
  ],
  [
    'tools on a model without tool use',
    TITAN_TEXT,
    { toolConfig: { tools: [tool('f')] }, messages: [user(text('x'))] },
    "This model doesn't support tool use.",
  ],
  [
    'toolChoice naming an undefined tool',
    HAIKU3,
    { toolConfig: { tools: [tool('f')], toolChoice: { tool: { name: 'g' } } }, messages: [user(text('x'))] },
    "Tool 'g' named in toolConfig.toolChoice.tool.name is not defined in toolConfig.tools.",
  ],
  [
    'system prompt on Mistral 7B',
    MISTRAL7B,
    { system: [text('s')], messages: [user(text('x'))] },
    "This model doesn't support system messages. Try again without system messages.",
  ],
  [
    'cachePoint as the first block',
    SONNET45,
    { messages: [user({ cachePoint: { type: 'default' } }, text('x'))] },
    'The cachePoint at messages.0.content.0 must follow a content block; a cachePoint cannot be the first block or follow another cachePoint.',
  ],
  [
    'five cachePoints',
    SONNET45,
    {
      system: [text('a'), { cachePoint: { type: 'default' } }, text('b'), { cachePoint: { type: 'default' } }],
      messages: [
        user(
          text('c'),
          { cachePoint: { type: 'default' } },
          text('d'),
          { cachePoint: { type: 'default' } },
          text('e'),
          { cachePoint: { type: 'default' } },
        ),
      ],
    },
    'A maximum of 4 blocks with cache_control may be provided. Found 5.',
  ],
  [
    'cachePoint on a model without prompt caching',
    HAIKU3,
    { messages: [user(text('x'), { cachePoint: { type: 'default' } })] },
    'You invoked an unsupported model or your request did not allow prompt caching. See the documentation for more information.',
  ],
  [
    'image bytes that are not the declared format',
    HAIKU3,
    { messages: [user(text('x'), { image: { format: 'jpeg', source: { bytes: PNG } } })] },
    'Unable to process the image at messages.0.content.1.image: the image bytes are not a valid jpeg image.',
  ],
  [
    'image on a model without vision',
    'us.anthropic.claude-3-5-haiku-20241022-v1:0',
    { messages: [user(text('x'), { image: { format: 'png', source: { bytes: PNG } } })] },
    "This model doesn't support the image content block that you provided. Try again with a supported content block.",
  ],
  [
    'more than 20 images',
    HAIKU3,
    {
      messages: [
        user(text('x'), ...Array.from({ length: 21 }, () => ({ image: { format: 'png', source: { bytes: PNG } } }))),
      ],
    },
    'Too many images in the request: the maximum is 20.',
  ],
  [
    'document name with two consecutive spaces',
    HAIKU3,
    { messages: [user(text('x'), { document: { format: 'pdf', name: 'my  doc', source: { bytes: PDF } } })] },
    'The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can\u2019t contain more than one consecutive whitespace character.',
  ],
  [
    'document without a text block beside it',
    HAIKU3,
    { messages: [user({ document: { format: 'pdf', name: 'doc', source: { bytes: PDF } } })] },
    'The message at messages.0 contains a document but no text block. A document must be sent together with a text block in the same message.',
  ],
  [
    'video on Claude',
    HAIKU3,
    { messages: [user(text('x'), { video: { format: 'mp4', source: { bytes: 'AAAA' } } })] },
    "This model doesn't support the video content block that you provided. Try again with a supported content block.",
  ],
  [
    'thinking with temperature 0.5',
    SONNET37,
    {
      messages: [user(text('x'))],
      inferenceConfig: { maxTokens: 4000, temperature: 0.5 },
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 1024 } },
    },
    /^`temperature` may only be set to 1 when thinking is enabled\./,
  ],
  [
    'thinking budget not below maxTokens',
    SONNET37,
    {
      messages: [user(text('x'))],
      inferenceConfig: { maxTokens: 2000 },
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 2000 } },
    },
    /^`max_tokens` must be greater than `thinking\.budget_tokens`\./,
  ],
  [
    'thinking with forced tool use',
    SONNET37,
    {
      messages: [user(text('x'))],
      inferenceConfig: { maxTokens: 4000 },
      toolConfig: { tools: [tool('f')], toolChoice: { any: {} } },
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 1024 } },
    },
    'Thinking may not be enabled when tool_choice forces tool use.',
  ],
  [
    'temperature and topP together on Sonnet 4.5',
    SONNET45,
    { messages: [user(text('x'))], inferenceConfig: { temperature: 0.5, topP: 0.9 } },
    '`temperature` and `top_p` cannot both be specified for this model. Please use only one.',
  ],
  [
    'thinking on a model without reasoning',
    HAIKU3,
    {
      messages: [user(text('x'))],
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 1024 } },
    },
    'Malformed input request: extraneous key [thinking] is not permitted, please reformat your input and try again.',
  ],
  [
    'top_k for Llama',
    'meta.llama3-8b-instruct-v1:0',
    { messages: [user(text('x'))], additionalModelRequestFields: { top_k: 5 } },
    'Malformed input request: extraneous key [top_k] is not permitted, please reformat your input and try again.',
  ],
  [
    'structured output on a model without it',
    HAIKU3,
    {
      messages: [user(text('x'))],
      outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: '{"type":"object"}' } } } },
    },
    "This model doesn't support the outputConfig.textFormat field. Remove outputConfig.textFormat and try again.",
  ],
  [
    'structured output schema that is not JSON',
    SONNET45,
    {
      messages: [user(text('x'))],
      outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: '{not json' } } } },
    },
    'The JSON schema in outputConfig.textFormat.structure.jsonSchema.schema is not valid JSON.',
  ],
  [
    'promptVariables with a model id',
    HAIKU3,
    { messages: [user(text('x'))], promptVariables: { a: { text: 'b' } } },
    'promptVariables can only be used with a prompt resource ARN as the modelId.',
  ],
  [
    'input above the context window',
    'meta.llama3-8b-instruct-v1:0',
    { messages: [user(text('x'.repeat(8193 * 4)))] },
    'Input is too long for requested model.',
  ],
  [
    'union with two members',
    HAIKU3,
    { messages: [user({ text: 'x', image: { format: 'png', source: { bytes: PNG } } })] },
    /^Malformed input request: exactly one member of the union .+ must be set at messages\.0\.content\.0, please reformat your input and try again\.$/,
  ],
  [
    'text that is a number',
    HAIKU3,
    { messages: [user({ text: 42 })] },
    /^Malformed input request: messages\.0\.content\.0\.text must be a string, please reformat your input and try again\.$/,
  ],
  [
    'reasoning block after text',
    SONNET37,
    {
      messages: [
        user(text('x')),
        assistant(text('a'), { reasoningContent: { reasoningText: { text: 'r', signature: 's' } } }),
        user(text('y')),
      ],
    },
    'messages.1.content.1: reasoningContent blocks must come before any other content in an assistant message.',
  ],
];

describe('Converse validation (docs/emulator.md, one request per rule)', () => {
  it.each(cases)('%s', async (_name, model, body, message) => {
    const r = await converse(model, body);
    expect(r.status, JSON.stringify(r.json)).toBe(400);
    expect(r.type).toBe('ValidationException');
    if (typeof message === 'string') expect(r.json.message).toBe(message);
    else expect(r.json.message).toMatch(message);
  });

  it('ConverseStream applies the same rules before the stream starts', async () => {
    const [, model, body, message] = cases[0] as Case;
    const r = await converse(model, body, 'converse-stream');
    expect(r.status).toBe(400);
    expect(r.type).toBe('ValidationException');
    expect(r.json.message).toMatch(message);
  });
});

describe('hostile bodies get a clean answer, never a 500', () => {
  const deep = (n: number) => JSON.parse(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`) as unknown;

  it('refuses JSON nested beyond 1000 levels as malformed; 900 levels are fine', async () => {
    const body = (n: number) => ({
      toolConfig: { tools: [tool('f')] },
      messages: [
        user(text('x')),
        assistant({ toolUse: { toolUseId: 't1', name: 'f', input: deep(n) } }),
        user({ toolResult: { toolUseId: 't1', content: [text('r')] } }),
      ],
    });
    const tooDeep = await fetch(`${emu.url}/model/${encodeURIComponent(HAIKU3)}/converse`, {
      method: 'POST',
      headers: { authorization: `Bearer ${LONG_TERM_API_KEY}`, 'content-type': 'application/json' },
      // built as text: JSON.stringify itself cannot serialise 20,000 levels
      body: JSON.stringify(body(1)).replace('{"a":1}', `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`),
    });
    expect(tooDeep.status).toBe(400);
    expect(((await tooDeep.json()) as { message: string }).message).toBe(
      'Malformed input request, please reformat your input and try again.',
    );
    const fine = await converse(HAIKU3, body(900));
    expect(fine.status).toBe(200);
  });

  it('bounds values generated from schemas with absurd minLength / minItems', async () => {
    const r = await converse(HAIKU3, {
      messages: [user(text('go [[tools:1]]'))],
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: 'f',
              inputSchema: {
                json: {
                  type: 'object',
                  properties: {
                    s: { type: 'string', minLength: 1_000_000_000 },
                    a: { type: 'array', minItems: 100_000_000, items: { type: 'integer' } },
                  },
                },
              },
            },
          },
        ],
      },
    });
    expect(r.status).toBe(200);
    const use = (r.json.output as { message: { content: Array<{ toolUse?: { input: { s: string; a: number[] } } }> } })
      .message.content[1]?.toolUse;
    expect(use?.input.s.startsWith('s')).toBe(true);
    expect(use?.input.s.length).toBe(262_144);
    expect(use?.input.a).toHaveLength(1_024);
  });
});

describe('deterministic replies (docs/emulator.md)', () => {
  it('[[stop:<reason>]] sets the stop reason; guardrail_intervened answers the guardrail text', async () => {
    const g = await converse(HAIKU3, { messages: [user(text('hello [[stop:guardrail_intervened]]'))] });
    expect(g.json.stopReason).toBe('guardrail_intervened');
    expect(g.json.output).toEqual({
      message: { role: 'assistant', content: [{ text: 'Sorry, the model cannot answer this question.' }] },
    });
    const m = await converse(HAIKU3, { messages: [user(text('hello [[stop:model_context_window_exceeded]]'))] });
    expect(m.json.stopReason).toBe('model_context_window_exceeded');
    expect(m.json.output).toEqual({ message: { role: 'assistant', content: [{ text: 'Echo: hello' }] } });
    const c = await converse(HAIKU3, { messages: [user(text('hello [[stop:content_filtered]]'))] });
    expect(c.json.output).toEqual({ message: { role: 'assistant', content: [] } });
  });

  it('toolChoice.tool calls exactly that tool with no text; [[tools:2]] calls the first two', async () => {
    const forced = await converse(HAIKU3, {
      messages: [user(text('anything'))],
      toolConfig: { tools: [tool('a'), tool('b')], toolChoice: { tool: { name: 'b' } } },
    });
    const content = (forced.json.output as { message: { content: Array<Record<string, { name: string }>> } }).message
      .content;
    expect(content).toHaveLength(1);
    expect(content[0]?.toolUse?.name).toBe('b');
    const two = await converse(HAIKU3, {
      messages: [user(text('go [[tools:2]]'))],
      toolConfig: { tools: [tool('a'), tool('b'), tool('c')] },
    });
    const blocks = (two.json.output as { message: { content: Array<Record<string, unknown>> } }).message.content;
    expect(blocks[0]).toEqual({ text: 'Calling a, b.' });
    expect(blocks.slice(1).map((b) => (b.toolUse as { name: string }).name)).toEqual(['a', 'b']);
  });

  it('structured output follows the schema rules', async () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 8 },
        when: { type: 'string', format: 'date-time' },
        count: { type: 'integer', minimum: 4 },
        ratio: { type: 'number' },
        tags: { type: 'array', items: { type: 'string', enum: ['x', 'y'] }, minItems: 2 },
        kind: { anyOf: [{ type: 'null' }, { const: 'k' }] },
        ok: { type: 'boolean' },
      },
      required: ['name'],
    };
    const r = await converse(SONNET45, {
      messages: [user(text('give json'))],
      outputConfig: {
        textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify(schema), name: 'out' } } },
      },
    });
    const out = (r.json.output as { message: { content: Array<{ text: string }> } }).message.content[0]?.text ?? '';
    expect(JSON.parse(out)).toEqual({
      name: 'namexxxx',
      when: '2025-01-01T00:00:00Z',
      count: 4,
      ratio: 1.5,
      tags: ['x', 'x'],
      kind: 'k',
      ok: true,
    });
  });

  it('[[redacted]] with thinking yields redactedContent that verifies when sent back', async () => {
    const base = {
      inferenceConfig: { maxTokens: 4000 },
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 1024 } },
    };
    const first = await converse(SONNET37, { ...base, messages: [user(text('secret [[redacted]]'))] });
    const blocks = (first.json.output as { message: { content: Array<Record<string, unknown>> } }).message.content;
    const redacted = (blocks[0]?.reasoningContent as { redactedContent?: string } | undefined)?.redactedContent;
    expect(Buffer.from(redacted ?? '', 'base64')).toHaveLength(48);
    const ok = await converse(SONNET37, {
      ...base,
      messages: [user(text('secret')), assistant(...blocks), user(text('again'))],
    });
    expect(ok.status).toBe(200);
    const forged = await converse(SONNET37, {
      ...base,
      messages: [
        user(text('secret')),
        assistant({ reasoningContent: { redactedContent: Buffer.alloc(48).toString('base64') } }, text('x')),
        user(text('again')),
      ],
    });
    expect(forged.status).toBe(400);
    expect(forged.json.message).toBe('messages.1.content.0: Invalid `data` in `redacted_thinking` block');
  });

  it('prompt caching: first call writes the prefix, the second reads it', async () => {
    const system = [text('word '.repeat(1000)), { cachePoint: { type: 'default' } }];
    const body = { system, messages: [user(text('hi cache'))] };
    const first = await converse(SONNET45, body);
    const second = await converse(SONNET45, body);
    const prefix = Math.ceil('word '.repeat(1000).length / 4);
    expect(first.json.usage).toEqual({
      inputTokens: Math.ceil('hi cache'.length / 4),
      outputTokens: Math.ceil('Echo: hi cache'.length / 4),
      totalTokens: prefix + Math.ceil('hi cache'.length / 4) + Math.ceil('Echo: hi cache'.length / 4),
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: prefix,
    });
    expect(second.json.usage).toMatchObject({ cacheReadInputTokens: prefix, cacheWriteInputTokens: 0 });
  });
});
