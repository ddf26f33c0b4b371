/**
 * A labelled histogram series bound once, whose `observe` skips what prom-client repeats on every call.
 *
 * prom-client (15.x) validates the label names and hashes the label values on every observation, bound
 * children included (about 0.5 µs each; a chat request makes six to nine). This series lets prom-client
 * make the series on its first observation, through its public `observe`, then keeps the series' own
 * record (`{ labels, bucketValues, sum, count }` in the histogram's `hashMap`) and applies later
 * observations to it the way prom-client's `observe` does: the same additions in the same order, so the
 * exposition is the same to the last bit. This reads prom-client's internals, which is why it checks
 * their shape on first use and otherwise (or after the histogram was reset) falls back to the public
 * path; histogram-series.test.ts compares the two expositions, so a prom-client upgrade that changes the
 * record fails there.
 */
import type { Histogram, LabelValues } from 'prom-client';

/** prom-client's record of one histogram series. */
interface SeriesRecord {
  labels: unknown;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

interface HistogramInternals {
  hashMap?: Record<string, SeriesRecord>;
  upperBounds?: readonly number[];
}

export class HistogramSeries<T extends string = string> {
  readonly #histogram: Histogram<T>;
  readonly #labels: LabelValues<T>;
  #map: Record<string, SeriesRecord> | undefined;
  #record: SeriesRecord | undefined;
  /** The bucket keys as prom-client spells them (its upper bounds as property names). */
  #bounds: readonly number[] = [];
  #keys: readonly string[] = [];
  #internalsKnown = true;

  constructor(histogram: Histogram<T>, labels: LabelValues<T>) {
    this.#histogram = histogram;
    this.#labels = labels;
  }

  observe(value: number): void {
    const record = this.#record;
    const internals = this.#histogram as unknown as HistogramInternals;
    if (record === undefined || internals.hashMap !== this.#map || !Number.isFinite(value)) {
      // First observation, a reset histogram, or a value prom-client refuses: its own path.
      this.#histogram.observe(this.#labels, value);
      if (this.#internalsKnown) this.#adopt(internals);
      return;
    }
    const bounds = this.#bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        record.sum += value;
        record.count += 1;
        record.bucketValues[this.#keys[i]!]! += 1;
        return;
      }
    }
    record.sum += value;
    record.count += 1;
  }

  /** Finds prom-client's record of these label values (a series another binding made counts too). */
  #adopt(internals: HistogramInternals): void {
    const map = internals.hashMap;
    const bounds = internals.upperBounds;
    let found: SeriesRecord | undefined;
    if (map && typeof map === 'object' && Array.isArray(bounds)) {
      const names = Object.keys(this.#labels) as T[];
      for (const record of Object.values(map)) {
        const labels = record.labels as Record<string, unknown> | undefined;
        if (
          labels &&
          Object.keys(labels).length === names.length &&
          names.every((name) => labels[name] === this.#labels[name])
        ) {
          found = record;
          break;
        }
      }
    }
    const keys = bounds?.map(String) ?? [];
    if (
      !found ||
      typeof found.sum !== 'number' ||
      typeof found.count !== 'number' ||
      typeof found.bucketValues !== 'object' ||
      !keys.every((key) => typeof found.bucketValues[key] === 'number')
    ) {
      // Not the shape this was written against: stay on prom-client's public path for good.
      this.#internalsKnown = false;
      this.#record = undefined;
      return;
    }
    this.#map = map;
    this.#record = found;
    this.#bounds = bounds!;
    this.#keys = keys;
  }
}
