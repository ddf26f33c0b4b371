import { describe, expect, it } from 'vitest';
import type { CompiledAccount } from '../../config/index.js';
import { UpstreamAuthCache } from './index.js';

const account = (name: string): CompiledAccount => ({
  name,
  namespace: 'default',
  region: 'us-east-1',
  auth: { type: 'accessKey' },
  collaborators: [],
});
const keys = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-example' };
const options = { refreshBeforeMs: 1000, jitterMs: 0, failureBackoffMs: 1000 };

describe('UpstreamAuthCache', () => {
  it('creates one auth per account settings and credentials, kept across reloads until they change', () => {
    const cache = new UpstreamAuthCache(options);
    const a = cache.get(account('a'), keys);
    // A reload brings new but equal objects: the same auth.
    expect(cache.get(account('a'), { ...keys })).toBe(a);
    // New credential material is a new auth.
    const rotated = cache.get(account('a'), { ...keys, secretAccessKey: 'rotated' });
    expect(rotated).not.toBe(a);
    cache.retain([{ account: account('a'), credentials: { ...keys, secretAccessKey: 'rotated' } }]);
    expect(cache.get(account('a'), { ...keys, secretAccessKey: 'rotated' })).toBe(rotated);
    // The dropped one is gone: asking again builds a new one.
    expect(cache.get(account('a'), keys)).not.toBe(a);
    cache.close();
    expect(cache.get(account('a'), { ...keys, secretAccessKey: 'rotated' })).not.toBe(rotated);
  });
});
