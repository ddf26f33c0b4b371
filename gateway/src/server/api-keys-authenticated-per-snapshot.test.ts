import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildSnapshot, type CompiledApiKey, type CompiledConfig } from '../config/index.js';
import { GatewayError } from '../errors/index.js';
import { authenticateCaller } from './auth.js';

// Authenticated keys are remembered per snapshot: these prove that remembering never widens who gets in.
const ALICE = 'sk-aigw-alice-0123456789abcdef0123456789abcdef';
const BOB = 'sk-aigw-bob-0123456789abcdef0123456789abcdef00';

function apiKey(token: string, subject: string): CompiledApiKey {
  return { sha256: createHash('sha256').update(token).digest('hex'), subject, teams: [], source: `acc/${subject}` };
}

function snapshotWith(...keys: CompiledApiKey[]) {
  const config: CompiledConfig = { revision: 'r', namespace: 'acc', accounts: [], models: [], apiKeys: keys };
  return buildSnapshot(config, { revision: 'r', accounts: {} });
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof GatewayError ? err.code : String(err);
  }
}

describe('API keys authenticated once per config snapshot', () => {
  it('answers a repeated key with the same caller, and keys apart', () => {
    const snapshot = snapshotWith(apiKey(ALICE, 'user:alice'), apiKey(BOB, 'user:bob'));
    const first = authenticateCaller(`Bearer ${ALICE}`, snapshot);
    expect(first.subject).toBe('user:alice');
    expect(authenticateCaller(`Bearer ${ALICE}`, snapshot)).toBe(first);
    expect(authenticateCaller(`bearer   ${ALICE}  `, snapshot)).toBe(first);
    expect(authenticateCaller(`Bearer ${BOB}`, snapshot).subject).toBe('user:bob');
  });

  it('refuses near misses of a key it has already accepted', () => {
    const snapshot = snapshotWith(apiKey(ALICE, 'user:alice'));
    authenticateCaller(`Bearer ${ALICE}`, snapshot);
    expect(codeOf(() => authenticateCaller(`Bearer ${ALICE.slice(0, -1)}`, snapshot))).toBe('invalid_api_key');
    expect(codeOf(() => authenticateCaller(`Bearer ${ALICE}x`, snapshot))).toBe('invalid_api_key');
    expect(codeOf(() => authenticateCaller(`Bearer ${ALICE.toUpperCase()}`, snapshot))).toBe('invalid_api_key');
    expect(codeOf(() => authenticateCaller(ALICE, snapshot))).toBe('invalid_api_key');
  });

  it('stops accepting a key as soon as a snapshot without it is used (a revoked key)', () => {
    const before = snapshotWith(apiKey(ALICE, 'user:alice'), apiKey(BOB, 'user:bob'));
    expect(authenticateCaller(`Bearer ${ALICE}`, before).subject).toBe('user:alice');
    const after = snapshotWith(apiKey(BOB, 'user:bob'));
    expect(codeOf(() => authenticateCaller(`Bearer ${ALICE}`, after))).toBe('invalid_api_key');
    expect(authenticateCaller(`Bearer ${BOB}`, after).subject).toBe('user:bob');
  });

  it('keeps authenticating every key when more keys are used than it remembers', () => {
    const tokens = Array.from({ length: 1500 }, (_, i) => `sk-aigw-many-${i.toString().padStart(6, '0')}`);
    const snapshot = snapshotWith(...tokens.map((t, i) => apiKey(t, `user:u${i}`)));
    for (let round = 0; round < 2; round++) {
      for (const [i, t] of tokens.entries())
        expect(authenticateCaller(`Bearer ${t}`, snapshot).subject).toBe(`user:u${i}`);
    }
    expect(codeOf(() => authenticateCaller('Bearer sk-aigw-many-999999', snapshot))).toBe('invalid_api_key');
  });
});
