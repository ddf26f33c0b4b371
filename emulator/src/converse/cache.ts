/**
 * Prompt caching as Bedrock reports it (docs/emulator.md, "Prompt caching"). The prompt is the ordered
 * sequence tools → system → messages; each cachePoint ends a prefix. A prefix of at least the model's
 * minimum tokens is written on first use (cacheWriteInputTokens) and read while it lives
 * (cacheReadInputTokens); a read refreshes its TTL (5 minutes, or 1 hour with `ttl: "1h"`).
 *
 * Bedrock keeps a cache per AWS account, region and model: the same prefix sent by another account, or to
 * another region of the same account, is written again there (Bedrock User Guide, "Prompt caching").
 * The key therefore starts with all three, so routing a prompt to another account or region costs the
 * cache write it costs on AWS.
 */

import { createHash } from 'node:crypto';
import type { EmulatorState } from '../state.js';

/** One unit of the prompt in cache order. */
export interface PromptUnit {
  /** Canonical JSON of the unit (part of the cache key). */
  readonly key: string;
  readonly tokens: number;
  /** Set when the unit is a cachePoint. */
  readonly ttl?: '5m' | '1h';
}

/** Token split of the input. */
export interface CacheUsage {
  readonly inputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
  /** Whether any cachePoint was present (cache fields are reported only then). */
  readonly used: boolean;
}

/** Where a cache lives: one account, one region, one model. */
export interface CacheScope {
  /** The calling principal's AWS account id. */
  readonly accountId: string;
  /** The region the request was made in (its SigV4 scope). */
  readonly region: string;
  /** The foundation model id (the emulator keys requests through an inference profile by its model). */
  readonly modelId: string;
}

const TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;

/** Applies the prompt cache of `scope` to `units`, updating the state's cache. */
export function applyPromptCache(
  state: EmulatorState,
  scope: CacheScope,
  units: readonly PromptUnit[],
  minTokens: number | undefined,
): CacheUsage {
  const total = units.reduce((sum, u) => sum + u.tokens, 0);
  const checkpoints: { hash: string; tokens: number; ttl: '5m' | '1h' }[] = [];
  const hash = createHash('sha256')
    .update(scope.accountId)
    .update('\u0000')
    .update(scope.region)
    .update('\u0000')
    .update(scope.modelId)
    .update('\u0000');
  let tokens = 0;
  for (const unit of units) {
    hash.update(unit.key).update('\u0000');
    tokens += unit.tokens;
    if (unit.ttl) checkpoints.push({ hash: hash.copy().digest('hex'), tokens, ttl: unit.ttl });
  }
  if (checkpoints.length === 0 || minTokens === undefined) {
    return { inputTokens: total, cacheReadInputTokens: 0, cacheWriteInputTokens: 0, used: checkpoints.length > 0 };
  }
  const now = state.clock.now();
  let read = 0;
  let hitIndex = -1;
  for (let i = checkpoints.length - 1; i >= 0; i--) {
    const cp = checkpoints[i];
    const entry = cp ? state.promptCache.get(cp.hash) : undefined;
    if (cp && entry && entry.expiresAt > now) {
      entry.expiresAt = now + entry.ttlMs;
      read = cp.tokens;
      hitIndex = i;
      break;
    }
  }
  let written = read;
  for (let i = hitIndex + 1; i < checkpoints.length; i++) {
    const cp = checkpoints[i];
    if (!cp || cp.tokens < minTokens) continue;
    const ttlMs = TTL_MS[cp.ttl];
    state.promptCache.set(cp.hash, { tokens: cp.tokens, expiresAt: now + ttlMs, ttlMs });
    written = cp.tokens;
  }
  const write = written - read;
  return { inputTokens: total - read - write, cacheReadInputTokens: read, cacheWriteInputTokens: write, used: true };
}
