/**
 * A resumable list/watch cache. The @kubernetes/client-node 2.0 informer is known to stall after a
 * server-side watch timeout and to stop on errors instead of relisting (kubernetes-client/javascript
 * #1933, #596), so the operator runs this small loop instead: list once, watch from the list's
 * resourceVersion with bookmarks, resume from the last version seen when the stream ends, and relist
 * when the server answers 410 Gone (the version fell out of the etcd compaction window).
 */
import { isKubeStatus, type KubeClient, type KubeObject, type WatchEvent } from './kube/index.js';

export type ChangeHandler<T> = (type: 'ADDED' | 'MODIFIED' | 'DELETED', object: T) => void;

export interface ListWatchOptions {
  /** Collection path, e.g. `/apis/aigateway.dev/v1alpha1/models` or a namespaced one. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Server-side watch timeout; the loop resumes after it (default 300 s). */
  watchTimeoutSeconds?: number;
  /**
   * Start watching from this resourceVersion instead of listing first (resuming a cache a caller
   * kept); a version the server no longer has is answered with 410 Gone and the loop relists.
   */
  resumeFrom?: string;
  /** Called when a (re)list or watch fails; the loop retries with backoff. */
  onError?: (err: unknown) => void;
}

/** Keys objects as `namespace/name` (or `name` for cluster-scoped objects). */
export function objectKey(o: { metadata: { namespace?: string; name: string } }): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}

export class ListWatch<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: ChangeHandler<T>[] = [];
  private readonly abort = new AbortController();
  private resourceVersion: string | undefined;
  private running: Promise<void> | undefined;
  private syncedResolve!: () => void;
  /** Resolves after the first complete list. */
  readonly synced: Promise<void>;
  /** How many times the loop listed (1 + relists after 410 Gone or errors); for tests and metrics. */
  lists = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly options: ListWatchOptions,
  ) {
    this.synced = new Promise((r) => {
      this.syncedResolve = r;
    });
  }

  onChange(handler: ChangeHandler<T>): void {
    this.handlers.push(handler);
  }

  /** The cached objects (a snapshot array). */
  list(): T[] {
    return [...this.cache.values()];
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  private emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: T): void {
    for (const h of this.handlers) h(type, object);
  }

  private async relist(): Promise<void> {
    const query = { labelSelector: this.options.labelSelector, fieldSelector: this.options.fieldSelector };
    const items: T[] = [];
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const page = await this.client.list<T>(
        this.options.path,
        { ...query, limit: 500, continue: cont },
        this.abort.signal,
      );
      items.push(...page.items);
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion;
    } while (cont);
    this.lists += 1;
    // Level-triggered: diff the fresh list against the cache so missed deletes are seen too.
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      const old = this.cache.get(key);
      this.cache.set(key, item);
      if (!old) this.emit('ADDED', item);
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion) this.emit('MODIFIED', item);
    }
    for (const [key, old] of [...this.cache]) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emit('DELETED', old);
      }
    }
    this.resourceVersion = rv;
    this.syncedResolve();
  }

  private async loop(): Promise<void> {
    let failures = 0;
    let needList = this.options.resumeFrom === undefined;
    this.resourceVersion = this.options.resumeFrom;
    while (!this.abort.signal.aborted) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        const events = this.client.watch<T>(
          this.options.path,
          {
            labelSelector: this.options.labelSelector,
            fieldSelector: this.options.fieldSelector,
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: this.options.watchTimeoutSeconds ?? 300,
          },
          this.abort.signal,
        );
        for await (const event of events) {
          if (!this.apply(event)) {
            needList = true;
            break;
          }
          failures = 0;
        }
        failures = 0;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        if (isKubeStatus(err, 410)) needList = true;
        else {
          this.options.onError?.(err);
          failures += 1;
          // Relist after repeated failures: the cache may have missed events while disconnected.
          if (failures >= 3) needList = true;
          await sleep(Math.min(30_000, 250 * 2 ** Math.min(failures, 7)), this.abort.signal);
        }
      }
    }
  }

  /** Applies one watch event; false asks for a relist (410 Gone delivered as an ERROR event). */
  private apply(event: WatchEvent<T>): boolean {
    if (event.type === 'ERROR') {
      const status = event.object as unknown as { code?: number };
      if (status.code === 410) return false;
      this.options.onError?.(event.object);
      return false;
    }
    const rv = event.object.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (event.type === 'BOOKMARK') return true;
    const key = objectKey(event.object);
    if (event.type === 'DELETED') {
      this.cache.delete(key);
      this.emit('DELETED', event.object);
    } else {
      this.cache.set(key, event.object);
      this.emit(event.type, event.object);
    }
    return true;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
