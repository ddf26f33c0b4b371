import { JSON_DEFAULTS } from '../json/index.js';

/**
 * Every tunable of the Files API, with its unit and default. docs/configuration.md ("Files and storage")
 * documents the same table; keep the two in step.
 */
export interface FilesOptions {
  /** Largest uploaded file, bytes (OpenAI's limit); larger uploads get 413. */
  maxFileBytes: number;
  /**
   * Longest line of a batch file, bytes. One line is held in memory and parsed at a time, so this bounds
   * the memory and the event-loop time (JSON.parse) a line may cost.
   */
  maxLineBytes: number;
  /**
   * Deepest nesting of arrays and objects in one line (checked before parsing): the online limit for a
   * request body plus one for the line's own object, so every body the online API takes fits in a line.
   */
  maxNestingDepth: number;
  /** Most requests (lines) in one batch file (OpenAI's and Bedrock's per-job limit). */
  maxLines: number;
  /** Longest `custom_id`, characters. */
  maxCustomIdLength: number;
  /** Longest file name, bytes of UTF-8. */
  maxFilenameBytes: number;
  /** Most keys one `GET /v1/files` may read from S3 (ListObjectsV2 returns 1,000 per call). */
  maxListScan: number;
}

/** Defaults of {@link FilesOptions}. */
export const FILES_DEFAULTS: Readonly<FilesOptions> = Object.freeze({
  maxFileBytes: 512 * 1024 * 1024,
  maxLineBytes: 8 * 1024 * 1024,
  maxNestingDepth: JSON_DEFAULTS.maxNestingDepth + 1,
  maxLines: 50_000,
  maxCustomIdLength: 512,
  maxFilenameBytes: 255,
  maxListScan: 100_000,
});

/** Resolves partial options against the defaults. */
export function resolveFilesOptions(options: Partial<FilesOptions> = {}): FilesOptions {
  const resolved: FilesOptions = { ...FILES_DEFAULTS };
  for (const key of Object.keys(options) as (keyof FilesOptions)[]) {
    const value = options[key];
    if (value !== undefined) resolved[key] = value;
  }
  return resolved;
}
