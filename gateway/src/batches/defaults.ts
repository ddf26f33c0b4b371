/**
 * Every option of the Batch API with its unit and default. docs/configuration.md ("Batch options")
 * documents the same table.
 */
export interface BatchOptions {
  /**
   * Fewest records a Bedrock batch job accepts (a service quota: 100 for most models today, 1,000 at
   * launch). A smaller input file is refused with a 400 before any job exists.
   */
  minRecords: number;
  /** Most records (lines) one batch may hold (Bedrock's default per-job quota, and OpenAI's per-file limit). */
  maxRecords: number;
  /** Hours Bedrock keeps a job before it expires (`timeoutDurationInHours`, 24–168); OpenAI's window is 24 h. */
  jobTimeoutHours: number;
  /**
   * Converting an input file runs on the event loop in slices of at most this long, ms; between slices
   * other requests are served, so a 50,000-line conversion never holds the loop for more than a slice.
   */
  conversionSliceMs: number;
  /**
   * Output files follow input order while Bedrock's output order is not guaranteed: records that arrive
   * ahead of their turn wait in memory up to this many bytes (per open output file); beyond it they are
   * left in S3 and read back by byte range when their turn comes, bytes.
   */
  reorderBufferBytes: number;
  /** Jobs ListModelInvocationJobs may be asked for while looking for one page of a caller's batches. */
  listScanLimit: number;
  /** Timeout of one Bedrock control-plane call, ms. */
  controlPlaneTimeoutMs: number;
}

export const BATCH_DEFAULTS: Readonly<BatchOptions> = Object.freeze({
  minRecords: 100,
  maxRecords: 50_000,
  jobTimeoutHours: 24,
  conversionSliceMs: 20,
  reorderBufferBytes: 32 * 1024 * 1024,
  listScanLimit: 1000,
  controlPlaneTimeoutMs: 30_000,
});

/** Defaults overlaid with what was given (undefined members keep the default). */
export function resolveBatchOptions(given: Partial<BatchOptions> = {}): BatchOptions {
  const out = { ...BATCH_DEFAULTS };
  for (const [key, value] of Object.entries(given) as [keyof BatchOptions, number | undefined][])
    if (value !== undefined) out[key] = value;
  return out;
}
