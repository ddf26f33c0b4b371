/** Latency samples in microseconds, summarised the same way for every target. */
export interface Summary {
  count: number;
  errors: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
}

export function percentile(sortedMicros: Float64Array, p: number): number {
  if (sortedMicros.length === 0) return Number.NaN;
  const rank = Math.min(sortedMicros.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMicros.length) - 1));
  return sortedMicros[rank]!;
}

export function summarise(samplesMicros: number[], errors: number, seconds: number): Summary {
  const sorted = Float64Array.from(samplesMicros).sort();
  const sum = samplesMicros.reduce((a, b) => a + b, 0);
  return {
    count: samplesMicros.length,
    errors,
    seconds,
    rps: samplesMicros.length / seconds,
    p50Ms: percentile(sorted, 50) / 1000,
    p90Ms: percentile(sorted, 90) / 1000,
    p99Ms: percentile(sorted, 99) / 1000,
    meanMs: samplesMicros.length ? sum / samplesMicros.length / 1000 : Number.NaN,
  };
}

/** Median of per-round values: robust to one noisy round on a shared 2-core machine. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
