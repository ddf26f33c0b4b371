import { describe, expect, it } from 'vitest';
import { newFileKey, ownerTag, parseFileKey } from './keys.js';

describe('file keys', () => {
  it('carry creation time, owner tag and file name', () => {
    const key = newFileKey('user:alice@example.com', 'my requests (1).jsonl', 1_700_000_000_123);
    expect(parseFileKey(key)).toEqual({
      createdMs: 1_700_000_000_123,
      ownerTag: ownerTag('user:alice@example.com'),
      filename: 'my requests (1).jsonl',
    });
    expect(parseFileKey('files/not-ours.jsonl')).toBeUndefined();
    expect(parseFileKey('batches/x')).toBeUndefined();
  });

  it('sort newest first in S3 key order', () => {
    const older = newFileKey('user:a', 'z.jsonl', 1_000);
    const newer = newFileKey('user:a', 'a.jsonl', 2_000);
    expect(newer < older).toBe(true);
  });

  it('tag owners apart', () => {
    expect(ownerTag('user:a')).not.toBe(ownerTag('user:b'));
    expect(ownerTag('user:a')).toMatch(/^[0-9a-f]{16}$/);
  });
});
