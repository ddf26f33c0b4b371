import { setMaxListeners } from 'node:events';

/** Counts requests and streams in progress so a graceful shutdown knows when everything has finished. */
export class ActivityTracker {
  #active = 0;
  #waiters: (() => void)[] = [];
  /** Set when shutdown began: responses then ask keep-alive clients to reconnect (elsewhere). */
  draining = false;
  readonly #cut = new AbortController();

  constructor() {
    // Every open stream listens on this one signal; Node would warn of a leak past 10 listeners.
    setMaxListeners(0, this.#cut.signal);
  }

  /**
   * Aborted when the shutdown grace period is over: streams still open end with a final `shutting_down`
   * error event before their connection is closed, so callers see why the answer stopped.
   */
  get graceOver(): AbortSignal {
    return this.#cut.signal;
  }

  /** Tells open streams that the grace period is over. */
  endGrace(): void {
    this.#cut.abort();
  }

  get active(): number {
    return this.#active;
  }

  begin(): void {
    this.#active++;
  }

  end(): void {
    this.#active--;
    if (this.#active === 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Resolves when nothing is in progress. */
  idle(): Promise<void> {
    if (this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
