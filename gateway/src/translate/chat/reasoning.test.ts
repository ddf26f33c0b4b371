import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../../errors/index.js';
import { capabilitiesFor, type ModelCapabilities } from '../../models/index.js';
import type { ChatCompletionRequest, JsonObject } from '../../wire/openai/index.js';
import { planReasoning } from './reasoning.js';
import { stripSchemaKeywords } from './structured-output.js';

const claude = capabilitiesFor('us.anthropic.claude-sonnet-4-5-20250929-v1:0');
const request = (extra: Partial<ChatCompletionRequest>): ChatCompletionRequest => ({
  model: 'm',
  messages: [{ role: 'user', content: 'x' }],
  ...extra,
});

describe('planReasoning (Anthropic budgets)', () => {
  it.each([
    ['low', 10_000, 3000, 10_000],
    ['medium', 10_000, 6000, 10_000],
    ['high', 10_000, 9000, 10_000],
    ['high', 1100, 1024, 1100],
    ['low', 1024, 1024, 2048],
  ] as const)('%s with max %i → budget %i, maxTokens %i', (effort, max, budget, maxTokens) => {
    const warnings: string[] = [];
    const plan = planReasoning(request({ reasoning_effort: effort }), claude, max, 'm', warnings);
    expect(plan.fields).toEqual({ thinking: { type: 'enabled', budget_tokens: budget } });
    expect(plan.maxTokens).toBe(maxTokens);
    expect(budget).toBeLessThan(maxTokens);
    expect(warnings.length > 0).toBe(maxTokens !== max);
  });

  it('keeps the budget under a model maximum it cannot raise past', () => {
    const small: ModelCapabilities = { ...claude, maxOutputTokens: 1500 };
    const plan = planReasoning(request({ reasoning_effort: 'high' }), small, 1500, 'm', []);
    expect(plan.maxTokens).toBe(1500);
    expect(plan.fields).toEqual({ thinking: { type: 'enabled', budget_tokens: 1350 } });
    const tight = planReasoning(request({ reasoning_effort: 'low' }), small, 1024, 'm', []);
    expect(tight.maxTokens).toBe(1500);
    expect(tight.fields).toEqual({ thinking: { type: 'enabled', budget_tokens: 1024 } });
  });

  it('refuses reasoning on a model whose maximum cannot hold the minimum budget', () => {
    const tiny: ModelCapabilities = { ...claude, maxOutputTokens: 1024 };
    try {
      planReasoning(request({ reasoning_effort: 'low' }), tiny, undefined, 'acct/tiny', []);
      expect.unreachable();
    } catch (error) {
      expect(isGatewayError(error) && [error.code, error.param]).toEqual(['unsupported_value', 'reasoning_effort']);
    }
  });
});

describe('stripSchemaKeywords', () => {
  it('removes refused keywords at every schema position and never touches property names', () => {
    const removed = new Set<string>();
    const schema: JsonObject = {
      type: 'object',
      properties: {
        maximum: { type: 'number', maximum: 5 },
        list: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 3 },
        either: { anyOf: [{ type: 'integer', minimum: 0 }, { $ref: '#/$defs/thing' }] },
      },
      $defs: { thing: { type: 'string', maxLength: 9, pattern: '^a' } },
      additionalProperties: false,
    };
    expect(
      stripSchemaKeywords(schema, new Set(['minimum', 'maximum', 'minLength', 'maxLength', 'maxItems']), removed),
    ).toEqual({
      type: 'object',
      properties: {
        maximum: { type: 'number' },
        list: { type: 'array', items: { type: 'string' } },
        either: { anyOf: [{ type: 'integer' }, { $ref: '#/$defs/thing' }] },
      },
      $defs: { thing: { type: 'string', pattern: '^a' } },
      additionalProperties: false,
    });
    expect([...removed].sort()).toEqual(['maxItems', 'maxLength', 'maximum', 'minLength', 'minimum']);
  });
});
