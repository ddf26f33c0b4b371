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
  readonly #children = new Map<string, PendingCount<T>>();
  #counter: Counter<T> | undefined;

  /** Binds the counter (made after this object, since its `collect` refers to it). */
  bind(counter: Counter<T>): Counter<T> {
    this.#counter = counter;
    return counter;
  }

  /** The series of `key` (a string unique to the label values), its labels made on first use. */
  child(key: string, labels: () => LabelValues<T>): PendingCount<T> {
    let child = this.#children.get(key);
    if (!child) {
      child = new PendingCount(labels());
      this.#children.set(key, child);
    }
    return child;
  }

  flush(): void {
    const counter = this.#counter;
    if (!counter) return;
    for (const child of this.#children.values()) {
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
  readonly #children = new Map<string, PendingLevel<T>>();
  #gauge: Gauge<T> | undefined;

  bind(gauge: Gauge<T>): Gauge<T> {
    this.#gauge = gauge;
    return gauge;
  }

  child(key: string, labels: () => LabelValues<T>): PendingLevel<T> {
    let child = this.#children.get(key);
    if (!child) {
      child = new PendingLevel(labels());
      this.#children.set(key, child);
    }
    return child;
  }

  flush(): void {
    const gauge = this.#gauge;
    if (!gauge) return;
    for (const child of this.#children.values()) gauge.set(child.labels, child.value);
  }
}
