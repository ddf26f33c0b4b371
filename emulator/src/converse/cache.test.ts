import { describe, expect, it } from 'vitest';
import { EmulatorState } from '../state.js';
import { applyPromptCache, type CacheScope, type PromptUnit } from './cache.js';

/** A 2,000-token system prompt closed by a cache point, then a short user turn. */
const UNITS: PromptUnit[] = [
  { key: 'system', tokens: 2000 },
  { key: 'cachePoint', tokens: 0, ttl: '5m' },
  { key: 'user', tokens: 5 },
];
const HERE: CacheScope = {
  accountId: '111122223333',
  region: 'us-east-1',
  modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
};

describe('prompt cache scope', () => {
  it('reads a prefix written in the same account, region and model', () => {
    const state = new EmulatorState({});
    expect(applyPromptCache(state, HERE, UNITS, 1024)).toMatchObject({
      cacheWriteInputTokens: 2000,
      cacheReadInputTokens: 0,
    });
    expect(applyPromptCache(state, HERE, UNITS, 1024)).toMatchObject({
      cacheWriteInputTokens: 0,
      cacheReadInputTokens: 2000,
    });
  });

  it.each([
    ['another account', { ...HERE, accountId: '444455556666' }],
    ['another region', { ...HERE, region: 'us-west-2' }],
    ['another model', { ...HERE, modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0' }],
  ])('writes the same prefix again in %s', (_, elsewhere) => {
    const state = new EmulatorState({});
    applyPromptCache(state, HERE, UNITS, 1024);
    expect(applyPromptCache(state, elsewhere, UNITS, 1024)).toMatchObject({
      cacheWriteInputTokens: 2000,
      cacheReadInputTokens: 0,
      inputTokens: 5,
    });
    // Both caches now live side by side.
    expect(applyPromptCache(state, HERE, UNITS, 1024)).toMatchObject({ cacheReadInputTokens: 2000 });
    expect(applyPromptCache(state, elsewhere, UNITS, 1024)).toMatchObject({ cacheReadInputTokens: 2000 });
  });
});
