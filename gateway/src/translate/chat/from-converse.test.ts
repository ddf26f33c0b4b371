import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConverseResponse } from '../../wire/bedrock/index.js';
import type { ChatCompletion } from '../../wire/openai/index.js';
import { fromConverseResponse } from './from-converse.js';
import { newChatCompletionId, type ResponsePlan } from './response-common.js';

interface ResponseFixture {
  name: string;
  description: string;
  plan: ResponsePlan;
  bedrock: ConverseResponse;
  openai: ChatCompletion;
}

const MODEL = 'tfy-ai-bedrock/global-anthropic-claude-sonnet-4-5-20250929-v1-0';
const dir = join(import.meta.dirname, 'fixtures', 'response');
const fixtures = readdirSync(dir)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as ResponseFixture);

describe('fromConverseResponse golden fixtures', () => {
  it('has the fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
  });

  it.each(fixtures.map((fixture) => [fixture.name, fixture] as const))('%s', (_name, fixture) => {
    const completion = fromConverseResponse(fixture.bedrock, {
      id: 'chatcmpl-fixture',
      created: 1700000000,
      model: MODEL,
      plan: fixture.plan,
    });
    expect(completion).toStrictEqual(fixture.openai);
  });
});

describe('fromConverseResponse', () => {
  it('never reports a raw Bedrock stop reason', () => {
    for (const fixture of fixtures) {
      const completion = fromConverseResponse(fixture.bedrock, {
        id: 'chatcmpl-x',
        created: 1,
        model: MODEL,
        plan: fixture.plan,
      });
      expect(['stop', 'length', 'tool_calls', 'content_filter']).toContain(completion.choices[0]?.finish_reason);
    }
  });

  it('keeps prompt + completion = total even when Bedrock counts cache tokens into its total', () => {
    const completion = fromConverseResponse(
      {
        output: { message: { role: 'assistant', content: [{ text: 'x' }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 3, outputTokens: 4, totalTokens: 107, cacheReadInputTokens: 100 },
        metrics: { latencyMs: 1 },
      },
      { id: 'chatcmpl-x', created: 1, model: MODEL, plan: { includeUsage: false } },
    );
    expect(completion.usage).toMatchObject({ prompt_tokens: 103, completion_tokens: 4, total_tokens: 107 });
  });
});

describe('newChatCompletionId', () => {
  it('returns distinct chatcmpl- ids that are URL-safe', () => {
    const a = newChatCompletionId();
    const b = newChatCompletionId();
    expect(a).toMatch(/^chatcmpl-[A-Za-z0-9_-]{24}$/);
    expect(a).not.toBe(b);
  });
});
