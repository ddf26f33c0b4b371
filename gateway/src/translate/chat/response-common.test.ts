import { describe, expect, it } from 'vitest';
import { newChatCompletionId } from './response-common.js';

describe('newChatCompletionId', () => {
  it('gives OpenAI-shaped ids that stay unique across refills of its random pool', () => {
    // 1,000 ids span several refills of the pooled random bytes; a refill bug would repeat ids.
    const ids = Array.from({ length: 1000 }, () => newChatCompletionId());
    for (const id of ids) expect(id).toMatch(/^chatcmpl-[A-Za-z0-9_-]{24}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
