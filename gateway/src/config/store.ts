/**
 * Holds the current config snapshot and hot-reloads it. A reload builds a complete new snapshot and
 * swaps one reference, so a request that took the snapshot at its start finishes on it; a config that
 * fails validation is logged and the last good snapshot stays in service.
 */
import { type FSWatcher, watch } from 'node:fs';
import { buildSnapshot, type Snapshot } from './snapshot.js';
import { ConfigRejectedError, type ConfigSource } from './sources.js';

/** The subset of a pino logger the store uses. */
export interface ConfigLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type ReloadOutcome =
  | { result: 'loaded'; revision: string; previous: string | undefined }
  | { result: 'unchanged'; revision: string }
  | { result: 'rejected'; error: string; problems: readonly string[] }
  | { result: 'pending'; reason: string };

export interface ConfigStoreOptions {
  source: ConfigSource;
  logger?: ConfigLogger;
  /** Safety-net poll of the inputs, in milliseconds (fs.watch misses changes on some volumes). Default 5000. */
  pollIntervalMs?: number;
  /** Quiet period after a file event before reloading, in milliseconds (editors write in bursts). Default 200. */
  debounceMs?: number;
}

/** Watch defaults (milliseconds). */
export const CONFIG_WATCH_DEFAULTS = { pollIntervalMs: 5000, debounceMs: 200 } as const;

const silent: ConfigLogger = { info() {}, warn() {}, error() {} };

export class ConfigStore {
  readonly source: ConfigSource;
  #snapshot: Snapshot | undefined;
  #logger: ConfigLogger;
  #pollIntervalMs: number;
  #debounceMs: number;
  #lastFingerprint: string | undefined;
  #running: Promise<ReloadOutcome> | undefined;
  #again = false;
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #listeners: ((outcome: ReloadOutcome) => void)[] = [];
  #closed = false;
  #lastPendingReason: string | undefined;

  constructor(options: ConfigStoreOptions) {
    this.source = options.source;
    this.#logger = options.logger ?? silent;
    this.#pollIntervalMs = options.pollIntervalMs ?? CONFIG_WATCH_DEFAULTS.pollIntervalMs;
    this.#debounceMs = options.debounceMs ?? CONFIG_WATCH_DEFAULTS.debounceMs;
  }

  /** The snapshot in service, or undefined before the first successful load. Take it once per request. */
  get current(): Snapshot | undefined {
    return this.#snapshot;
  }

  /** Called after every reload attempt (metrics, readiness). */
  onReload(listener: (outcome: ReloadOutcome) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Loads the source now (unless its fingerprint is unchanged since the last attempt and `force` is
   * false). Concurrent calls coalesce: one more reload runs after the current one. `logRejection:
   * false` leaves reporting a rejected config to the caller (a start that fails prints it once).
   */
  reload(options: { force?: boolean; logRejection?: boolean } = {}): Promise<ReloadOutcome> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    const run = this.#reloadOnce(options.force ?? false, options.logRejection ?? true).finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#closed) {
        this.#again = false;
        void this.reload();
      }
    });
    this.#running = run;
    return run;
  }

  /** Starts watching the source directory (fs.watch + debounce, and the periodic poll). */
  watch(): void {
    if (this.#closed || this.#poll) return;
    this.#startFsWatch();
    this.#poll = setInterval(() => {
      if (!this.#watcher) this.#startFsWatch();
      void this.reload();
    }, this.#pollIntervalMs);
    this.#poll.unref();
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#poll) clearInterval(this.#poll);
    if (this.#debounce) clearTimeout(this.#debounce);
  }

  #startFsWatch(): void {
    try {
      // Watching the directory (not files) catches kubelet's atomic `..data` symlink swap and editors
      // that replace files by rename.
      this.#watcher = watch(this.source.dir, { persistent: false }, () => this.#schedule());
      this.#watcher.on('error', () => {
        this.#watcher?.close();
        this.#watcher = undefined; // the poll re-creates it once the directory is back
      });
    } catch {
      this.#watcher = undefined;
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.reload(), this.#debounceMs);
    this.#debounce.unref();
  }

  async #reloadOnce(force: boolean, logRejection: boolean): Promise<ReloadOutcome> {
    const outcome = await this.#attempt(force, logRejection);
    for (const listener of this.#listeners) {
      try {
        listener(outcome);
      } catch (err) {
        this.#logger.error({ err }, 'config reload listener failed');
      }
    }
    return outcome;
  }

  async #attempt(force: boolean, logRejection: boolean): Promise<ReloadOutcome> {
    const fingerprint = await this.source.fingerprint();
    const current = this.#snapshot;
    if (!force && fingerprint === this.#lastFingerprint && current) {
      return { result: 'unchanged', revision: current.revision };
    }
    let loaded: Awaited<ReturnType<ConfigSource['load']>>;
    try {
      loaded = await this.source.load();
    } catch (err) {
      // Remember the fingerprint so a broken file is reported once, not on every poll.
      this.#lastFingerprint = fingerprint;
      const problems =
        err instanceof ConfigRejectedError ? err.problems : [`unexpected error: ${(err as Error).message}`];
      const error = err instanceof ConfigRejectedError ? err.message : (problems[0] ?? '');
      if (logRejection) {
        this.#logger.error(
          { source: this.source.description, revision: current?.revision ?? null, problems },
          `config rejected: ${error}${current ? ' (still serving the last good config)' : ''}`,
        );
      }
      return { result: 'rejected', error, problems };
    }
    if (loaded.status === 'pending') {
      // Not remembered: the next poll or file event tries again. Logged once per reason, not per poll.
      if (loaded.reason !== this.#lastPendingReason) {
        this.#logger.info({ source: this.source.description }, `config not loaded yet: ${loaded.reason}`);
      }
      this.#lastPendingReason = loaded.reason;
      return { result: 'pending', reason: loaded.reason };
    }
    this.#lastFingerprint = fingerprint;
    this.#lastPendingReason = undefined;
    for (const note of loaded.notes) this.#logger.warn({ source: this.source.description }, note);
    if (current && current.revision === loaded.config.revision) {
      return { result: 'unchanged', revision: current.revision };
    }
    this.#snapshot = buildSnapshot(loaded.config, loaded.credentials);
    this.#logger.info(
      {
        source: this.source.description,
        revision: loaded.config.revision,
        accounts: loaded.config.accounts.length,
        models: loaded.config.models.length,
        apiKeys: loaded.config.apiKeys.length,
      },
      `config ${current ? 'reloaded' : 'loaded'} revision=${loaded.config.revision}`,
    );
    return { result: 'loaded', revision: loaded.config.revision, previous: current?.revision };
  }
}
