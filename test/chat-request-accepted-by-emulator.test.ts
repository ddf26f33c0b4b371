/**
 * Every Converse body the chat translator produces for its golden fixtures must pass the emulator's
 * Converse validation (an independent implementation of Bedrock's rules), and the gateway's capability
 * table must agree with the emulator's catalog on what each model accepts: a disagreement means one of
 * them misstates Bedrock.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG, lookupModel } from '../emulator/src/catalog.js';
import { makeRedactedContent, signReasoning } from '../emulator/src/converse/reasoning.js';
import { validateConverseRequest } from '../emulator/src/converse/validate.js';
import type { CompiledModel } from '../gateway/src/config/index.js';
import { capabilitiesFor, getCapabilities, parseModelId } from '../gateway/src/models/index.js';
import { parseChatCompletionRequest, toConverseRequest } from '../gateway/src/translate/chat/index.js';

interface RequestFixture {
  name: string;
  model: CompiledModel;
  resolvedMedia?: Record<string, { base64: string; contentType: string }>;
  openai: unknown;
  bedrock?: unknown;
}

const dir = join(import.meta.dirname, '..', 'gateway', 'src', 'translate', 'chat', 'fixtures', 'request');
const fixtures = readdirSync(dir)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as RequestFixture)
  .filter((fixture) => fixture.bedrock !== undefined);

function catalogModel(modelId: string) {
  const foundation = parseModelId(modelId)?.foundationModelId;
  return foundation ? lookupModel(foundation) : undefined;
}

describe('translated chat requests pass the emulator Converse validation', () => {
  const cases = fixtures
    .filter((fixture) => catalogModel(fixture.model.modelId) !== undefined)
    // Reasoning blocks in fixtures carry made-up signatures, which a faithful Bedrock rejects.
    .filter((fixture) => !JSON.stringify(fixture.bedrock).includes('reasoningContent'));

  it('covers most fixtures', () => {
    expect(cases.length).toBeGreaterThan(80);
  });

  it.each(cases.map((fixture) => [fixture.name, fixture] as const))('%s', (_name, fixture) => {
    const request = parseChatCompletionRequest(fixture.openai);
    const resolvedMedia = new Map(
      Object.entries(fixture.resolvedMedia ?? {}).map(([url, m]) => [
        url,
        { bytes: new Uint8Array(Buffer.from(m.base64, 'base64')), contentType: m.contentType },
      ]),
    );
    const plan = toConverseRequest(request, {
      model: fixture.model,
      capabilities: getCapabilities(fixture.model),
      resolvedMedia,
    });
    const model = catalogModel(fixture.model.modelId)!;
    // Through JSON, as on the wire.
    const body: unknown = JSON.parse(JSON.stringify(plan.body));
    expect(() => validateConverseRequest(body, model, { stream: plan.stream, signatureSecret: 'test' })).not.toThrow();
  });
});

describe('one OpenAI request, every chat model of the catalog', () => {
  const body = {
    model: 'acct/any',
    messages: [
      { role: 'system', content: 'Answer in one word.' },
      { role: 'user', content: 'Capital of France?' },
      { role: 'assistant', content: 'Paris.' },
      { role: 'user', content: [{ type: 'text', text: 'And of Italy?' }] },
    ],
    max_tokens: 64,
    temperature: 0.2,
    stop: ['\n\n'],
    user: 'user-42',
    stream: true,
    stream_options: { include_usage: true },
  };
  const chatModels = [...CATALOG.values()].filter((m) => m.type === 'chat');

  it.each(chatModels.map((m) => [m.id, m] as const))('%s', (id, catalog) => {
    const model: CompiledModel = {
      servedName: `acct/${id}`,
      account: 'acct',
      name: id,
      modelId: id,
      region: 'us-east-1',
      type: 'chat',
      family: catalog.family,
    };
    const plan = toConverseRequest(parseChatCompletionRequest(body), { model, capabilities: getCapabilities(model) });
    const wire: unknown = JSON.parse(JSON.stringify(plan.body));
    expect(() => validateConverseRequest(wire, catalog, { stream: true, signatureSecret: 'test' })).not.toThrow();
    expect(plan.body.inferenceConfig).toMatchObject({ maxTokens: 64, temperature: 0.2, stopSequences: ['\n\n'] });
  });
});

describe('a thinking tool loop', () => {
  it('sends thinking blocks back in a form Anthropic verifies', () => {
    const secret = 'test';
    const thinking = 'The user wants the weather; call get_weather.';
    const model: CompiledModel = {
      servedName: 'acct/claude',
      account: 'acct',
      name: 'claude',
      modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      region: 'us-east-1',
      type: 'chat',
      family: 'anthropic',
    };
    const request = parseChatCompletionRequest({
      model: model.servedName,
      reasoning_effort: 'medium',
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          thinking_blocks: [
            { type: 'thinking', thinking, signature: signReasoning(thinking, secret) },
            { type: 'redacted_thinking', data: makeRedactedContent(secret) },
          ],
          tool_calls: [
            { id: 'tooluse_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'tooluse_1', content: '{"temp": 21}' },
      ],
    });
    const plan = toConverseRequest(request, { model, capabilities: getCapabilities(model) });
    expect(plan.reasoning).toBe(true);
    const body: unknown = JSON.parse(JSON.stringify(plan.body));
    const catalog = catalogModel(model.modelId)!;
    expect(() => validateConverseRequest(body, catalog, { stream: false, signatureSecret: secret })).not.toThrow();
  });
});

describe('capability table agrees with the emulator catalog', () => {
  const chatModels = [...CATALOG.values()].filter((m) => m.type === 'chat');

  it.each(chatModels.map((m) => [m.id, m] as const))('%s', (id, model) => {
    const caps = capabilitiesFor(id, model.family);
    expect({
      system: caps.systemPrompt,
      tools: caps.tools,
      // The catalog has one flag for forced tool choice; `any` is the one every such model has.
      forcedToolChoice: caps.toolChoiceAny,
      images: caps.images,
      documents: caps.documents,
      caching: caps.promptCaching !== undefined,
      structuredOutput: caps.nativeStructuredOutput,
      maxOutputTokens: caps.maxOutputTokens,
      thinking: caps.reasoning === 'anthropic-thinking',
    }).toEqual({
      system: model.system,
      tools: model.tools,
      forcedToolChoice: model.toolChoiceAnyTool,
      images: model.images,
      documents: model.documents,
      caching: model.cacheMinTokens !== undefined,
      structuredOutput: model.structuredOutput,
      maxOutputTokens: model.maxOutputTokens,
      thinking: model.reasoning === 'configurable',
    });
  });
});
