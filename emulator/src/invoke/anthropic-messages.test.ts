import { describe, expect, it } from 'vitest';
import { lookupModel } from '../catalog.js';
import { makeRedactedContent } from '../converse/reasoning.js';
import { BedrockException } from '../errors.js';
import { anthropicBodyToConverse, anthropicModelName } from './anthropic-messages.js';

const SONNET = lookupModel('anthropic.claude-sonnet-4-5-20250929-v1:0');
const HAIKU3 = lookupModel('anthropic.claude-3-haiku-20240307-v1:0');
if (!SONNET || !HAIKU3) throw new Error('catalog lacks the test models');
const SECRET = 'test-secret';
// Claude checks that redacted thinking sent back is what it produced.
const REDACTED = makeRedactedContent(SECRET);

const body = (extra: Record<string, unknown> = {}) => ({
  anthropic_version: 'bedrock-2023-05-31',
  max_tokens: 100,
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});

describe('Anthropic Messages body → the emulator’s Converse request', () => {
  it('reads string shorthands for message content and system', () => {
    const request = anthropicBodyToConverse(body({ system: 'be brief' }), SONNET, SECRET);
    expect(request.messages).toEqual([{ role: 'user', content: [{ kind: 'text', text: 'hi', raw: 'hi' }] }]);
    expect(request.system).toEqual([{ kind: 'text', text: 'be brief', raw: 'be brief' }]);
    expect(request).toMatchObject({ maxTokens: 100, maxTokensSet: true, stopSequences: [], tools: [] });
  });

  it('turns cache_control into a checkpoint right after the block that carries it', () => {
    const request = anthropicBodyToConverse(
      body({
        system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral', ttl: '1h' } }],
        tools: [
          {
            name: 'f',
            input_schema: { type: 'object' },
            cache_control: { type: 'ephemeral' },
          },
        ],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }] }],
      }),
      SONNET,
      SECRET,
    );
    expect(request.system.map((b) => b.kind)).toEqual(['text', 'cachePoint']);
    expect(request.system[1]).toMatchObject({ kind: 'cachePoint', ttl: '1h' });
    expect(request.tools.map((t) => t.kind)).toEqual(['toolSpec', 'cachePoint']);
    expect(request.messages[0]?.content.map((b) => b.kind)).toEqual(['text', 'cachePoint']);
    expect(request.messages[0]?.content[1]).toMatchObject({ ttl: '5m' });
  });

  it('maps tool blocks, thinking and tool_choice', () => {
    const request = anthropicBodyToConverse(
      body({
        tools: [{ name: 'f', description: 'd', input_schema: { type: 'object' } }],
        tool_choice: { type: 'any' },
        messages: [
          { role: 'user', content: 'go' },
          {
            role: 'assistant',
            content: [
              { type: 'redacted_thinking', data: REDACTED },
              { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'x', is_error: true }] },
        ],
      }),
      HAIKU3,
      SECRET,
    );
    expect(request.toolChoice).toEqual({ kind: 'any' });
    expect(request.messages[1]?.content[0]).toMatchObject({ kind: 'reasoning', redacted: REDACTED });
    expect(request.messages[1]?.content[1]).toMatchObject({ kind: 'toolUse', toolUseId: 'toolu_1', input: { a: 1 } });
    expect(request.messages[2]?.content[0]).toMatchObject({
      kind: 'toolResult',
      toolUseId: 'toolu_1',
      status: 'error',
      content: [{ kind: 'text', text: 'x' }],
    });
  });

  it('refuses with a BedrockException ValidationException, never a plain error', () => {
    for (const bad of [null, [], 'x', body({ messages: 'x' }), body({ max_tokens: 1.5 }), body({ tools: {} })]) {
      try {
        anthropicBodyToConverse(bad, SONNET, SECRET);
        throw new Error(`accepted ${JSON.stringify(bad)}`);
      } catch (error) {
        expect(error).toBeInstanceOf(BedrockException);
        expect((error as BedrockException).name).toBe('ValidationException');
      }
    }
  });

  it('names the model as the Messages API does', () => {
    expect(anthropicModelName('anthropic.claude-3-5-sonnet-20241022-v2:0')).toBe('claude-3-5-sonnet-20241022');
    expect(anthropicModelName('anthropic.claude-sonnet-4-6')).toBe('claude-sonnet-4-6');
    expect(anthropicModelName('anthropic.claude-opus-4-6-v1')).toBe('claude-opus-4-6');
  });
});
