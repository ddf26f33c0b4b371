import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../../errors/index.js';
import { parseChatCompletionRequest } from './parse-request.js';

describe('parseChatCompletionRequest', () => {
  it('keeps known fields, drops unknown ones and treats null as absent', () => {
    const parsed = parseChatCompletionRequest({
      model: 'acct/model',
      messages: [{ role: 'user', content: 'hi', future_field: 1 }],
      temperature: null,
      max_completion_tokens: 50,
      brand_new_openai_param: { x: 1 },
      bedrock: { performanceConfig: { latency: 'optimized' }, unknownKey: true },
    });
    expect(parsed).toStrictEqual({
      model: 'acct/model',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 50,
      bedrock: { performanceConfig: { latency: 'optimized' } },
    });
  });

  it('accepts the body the official openai SDK builds, extra_body fields included', async () => {
    let captured: unknown;
    const client = new OpenAI({
      apiKey: 'sk-test',
      baseURL: 'http://127.0.0.1:9/v1',
      maxRetries: 0,
      fetch: async (_url, init) => {
        captured = JSON.parse(String(init?.body));
        return new Response(JSON.stringify({ error: { message: 'stop here' } }), { status: 400 });
      },
    });
    await client.chat.completions
      .create({
        model: 'acct/claude',
        messages: [
          { role: 'developer', content: 'Be brief.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
            ],
          },
        ],
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }],
        tool_choice: 'auto',
        reasoning_effort: 'low',
        stream: false,
        // Sent as top-level body fields by the SDK.
        // @ts-expect-error gateway extensions are not in the SDK's types
        top_k: 5,
        thinking: { type: 'enabled', budget_tokens: 2048 },
      })
      .catch(() => undefined);
    const parsed = parseChatCompletionRequest(captured);
    expect(parsed.top_k).toBe(5);
    expect(parsed.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(parsed.messages[1]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
      ],
    });
    expect(parsed.tool_choice).toBe('auto');
  });

  it('names the exact offending parameter', () => {
    try {
      parseChatCompletionRequest({
        model: 'm',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'ok' },
              { type: 'text', text: 7 },
            ],
          },
        ],
      });
      expect.unreachable();
    } catch (error) {
      expect(isGatewayError(error) && error.toBody()).toEqual({
        error: {
          message: "Invalid type for 'messages[0].content[1].text': expected a string.",
          type: 'invalid_request_error',
          param: 'messages[0].content[1].text',
          code: 'invalid_type',
        },
      });
    }
  });

  it('keeps a __proto__ key as data, never as a prototype', () => {
    const parsed = parseChatCompletionRequest(
      JSON.parse(
        '{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"__proto__":"a"},"bedrock":{"additionalModelRequestFields":{"__proto__":{"polluted":true}}}}',
      ),
    );
    expect(Object.getPrototypeOf(parsed.metadata)).toBe(Object.prototype);
    expect(Object.keys(parsed.metadata ?? {})).toEqual(['__proto__']);
    expect(JSON.stringify(parsed.bedrock)).toBe('{"additionalModelRequestFields":{"__proto__":{"polluted":true}}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
