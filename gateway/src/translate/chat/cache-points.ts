/**
 * `cache_control` markers → Bedrock `cachePoint` blocks.
 *
 * A cache point is its own block placed *after* the marked block (a marker inside a text block is
 * a ValidationException). Bedrock allows at most 4 checkpoints per request across system, messages
 * and tools; more is a 400 here rather than upstream. On a model without prompt caching the markers
 * are dropped with a warning: `cache_control` is an optimisation hint, and clients such as agent
 * frameworks send it regardless of the model.
 */
import { invalidValue } from '../../errors/index.js';
import type { ModelCapabilities } from '../../models/index.js';
import type { CachePointBlock } from '../../wire/bedrock/index.js';
import type { CacheControl } from '../../wire/openai/index.js';

export type CacheLocation = 'system' | 'message' | 'tool';

/** Per-request counter of cache checkpoints. */
export class CachePoints {
  private count = 0;
  private warnedUnsupported = false;
  private warnedTools = false;
  private warnedTtl = false;

  constructor(
    private readonly caps: ModelCapabilities,
    private readonly modelName: string,
    private readonly warnings: string[],
  ) {}

  /** The cache point block for a marker, or undefined when there is no marker or it is dropped. */
  take(marker: CacheControl | undefined, param: string, location: CacheLocation): CachePointBlock | undefined {
    if (!marker) return undefined;
    const caching = this.caps.promptCaching;
    if (!caching) {
      if (!this.warnedUnsupported) {
        this.warnedUnsupported = true;
        this.warnings.push(`cache_control ignored: model '${this.modelName}' does not support prompt caching.`);
      }
      return undefined;
    }
    if (location === 'tool' && !caching.tools) {
      if (!this.warnedTools) {
        this.warnedTools = true;
        this.warnings.push(
          `cache_control on tools ignored: model '${this.modelName}' does not cache tool definitions.`,
        );
      }
      return undefined;
    }
    this.count += 1;
    if (this.count > caching.maxCheckpoints) {
      throw invalidValue(
        `Too many cache_control markers: model '${this.modelName}' allows at most ${caching.maxCheckpoints} cache checkpoints per request (the one at '${param}' is number ${this.count}).`,
        param,
      );
    }
    if (marker.ttl === '1h' && !caching.ttl1h) {
      if (!this.warnedTtl) {
        this.warnedTtl = true;
        this.warnings.push(`cache_control ttl '1h' ignored: model '${this.modelName}' only caches for 5 minutes.`);
      }
      return { type: 'default' };
    }
    return marker.ttl ? { type: 'default', ttl: marker.ttl } : { type: 'default' };
  }
}
