/** Counts requests and streams in progress so a graceful shutdown knows when everything has finished. */
export class ActivityTracker {
  #active = 0;
  #waiters: (() => void)[] = [];
  /** Set when shutdown began: responses then ask keep-alive clients to reconnect (elsewhere). */
  draining = false;

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
