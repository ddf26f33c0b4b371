/**
 * Counter and gauge series kept in plain numbers on the request path and handed to prom-client when the
 * registry is read (its `collect` hook runs before every scrape). prom-client validates and hashes the
 * label set on every `inc`, bound children included; here an increment is one addition, and the label
 * work happens once per series per scrape. What a scrape exposes is unchanged: the same names, labels
 * and values, since the flush goes through prom-client's own `inc`/`set`.
 *
 * Series live as long as the registry, like prom-client's own: their number is bounded by the same label
 * values (accounts, models, routes, callers) that bound the exposed series.
 */
import type { Counter, Gauge, LabelValues } from 'prom-client';

/** A label value as a series is looked up by it: strings, or numbers such as an HTTP status. */
export type LabelKey = string | number;
type Level<V> = Map<LabelKey, Level<V> | V>;

/**
 * Series by up to four label values, one Map level per label. A lookup hashes each value: label values
 * come from the config or are constants, and V8 keeps a string's hash on the string, so a lookup on the
 * request path costs a few Map reads. The joined key it replaces (`${a}\0${b}\0${c}`) was built, flattened
 * and hashed anew on every request (about 0.4 µs a lookup, with its garbage).
 */
export class SeriesIndex<V> {
  readonly #root: Level<V> = new Map();

  constructor(readonly depth: 1 | 2 | 3 | 4) {}

  get(a: LabelKey, b?: LabelKey, c?: LabelKey, d?: LabelKey): V | undefined {
    let level: Level<V> | V | undefined = this.#root.get(a);
    if (this.depth === 1) return level as V | undefined;
    level = (level as Level<V> | undefined)?.get(b!);
    if (this.depth === 2) return level as V | undefined;
    level = (level as Level<V> | undefined)?.get(c!);
    if (this.depth === 3) return level as V | undefined;
    return (level as Level<V> | undefined)?.get(d!) as V | undefined;
  }

  set(value: V, a: LabelKey, b?: LabelKey, c?: LabelKey, d?: LabelKey): void {
    const keys = [a, b, c, d];
    let level = this.#root;
    for (let i = 0; i < this.depth - 1; i++) {
      let next = level.get(keys[i]!) as Level<V> | undefined;
      if (!next) {
        next = new Map();
        level.set(keys[i]!, next);
      }
      level = next;
    }
    level.set(keys[this.depth - 1]!, value);
  }
}

/** The label set of a new series, from its names and the values it was looked up by. */
function labelsOf<T extends string>(names: readonly T[], a: LabelKey, b?: LabelKey, c?: LabelKey, d?: LabelKey) {
  const values = [a, b, c, d];
  const labels: Partial<Record<T, string>> = {};
  for (let i = 0; i < names.length; i++) labels[names[i]!] = String(values[i]);
  return labels as LabelValues<T>;
}

/** One counter series: `inc` adds to a number the next scrape hands over. */
export class PendingCount<T extends string = string> {
  pending = 0;
  constructor(readonly labels: LabelValues<T>) {}

  inc(value = 1): void {
    this.pending += value;
  }
}

/** The pending series of one prom-client counter; {@link flush} from the counter's `collect`. */
export class PendingCounter<T extends string> {
  readonly #index: SeriesIndex<PendingCount<T>>;
  readonly #children: PendingCount<T>[] = [];
  #counter: Counter<T> | undefined;

  /** `labelNames` in the order {@link child} takes their values (one to four). */
  constructor(readonly labelNames: readonly T[]) {
    this.#index = new SeriesIndex(labelNames.length as 1 | 2 | 3 | 4);
  }

  /** Binds the counter (made after this object, since its `collect` refers to it). */
  bind(counter: Counter<T>): Counter<T> {
    this.#counter = counter;
    return counter;
  }

  /** The series of these label values (in the order of `labelNames`), made on first use. */
  child(a: LabelKey, b?: LabelKey, c?: LabelKey, d?: LabelKey): PendingCount<T> {
    let child = this.#index.get(a, b, c, d);
    if (!child) {
      child = new PendingCount(labelsOf(this.labelNames, a, b, c, d));
      this.#index.set(child, a, b, c, d);
      this.#children.push(child);
    }
    return child;
  }

  flush(): void {
    const counter = this.#counter;
    if (!counter) return;
    for (const child of this.#children) {
      if (child.pending > 0) {
        const value = child.pending;
        child.pending = 0;
        counter.inc(child.labels, value);
      }
    }
  }
}

/** One gauge series held as a plain number; the scrape sets the gauge to it. */
export class PendingLevel<T extends string = string> {
  value = 0;
  constructor(readonly labels: LabelValues<T>) {}

  inc(): void {
    this.value++;
  }

  dec(): void {
    this.value--;
  }
}

/** The series of one prom-client gauge that only this object writes; {@link flush} from its `collect`. */
export class PendingGauge<T extends string> {
  readonly #index: SeriesIndex<PendingLevel<T>>;
  readonly #children: PendingLevel<T>[] = [];
  #gauge: Gauge<T> | undefined;

  /** `labelNames` in the order {@link child} takes their values (one to four). */
  constructor(readonly labelNames: readonly T[]) {
    this.#index = new SeriesIndex(labelNames.length as 1 | 2 | 3 | 4);
  }

  bind(gauge: Gauge<T>): Gauge<T> {
    this.#gauge = gauge;
    return gauge;
  }

  /** The level of these label values (in the order of `labelNames`), made on first use. */
  child(a: LabelKey, b?: LabelKey, c?: LabelKey, d?: LabelKey): PendingLevel<T> {
    let child = this.#index.get(a, b, c, d);
    if (!child) {
      child = new PendingLevel(labelsOf(this.labelNames, a, b, c, d));
      this.#index.set(child, a, b, c, d);
      this.#children.push(child);
    }
    return child;
  }

  flush(): void {
    const gauge = this.#gauge;
    if (!gauge) return;
    for (const child of this.#children) gauge.set(child.labels, child.value);
  }
}
