/**
 * A thin Kubernetes REST client: @kubernetes/client-node loads the kubeconfig (files, in-cluster
 * service-account token, exec plugins) and supplies TLS material and auth headers; requests go
 * through one undici pool. The operator needs only a handful of verbs (get, list, watch, server-side
 * apply, status patch, delete), and the generated client-node APIs do not expose the content types
 * that server-side apply and watch bookmarks need, so this stays small and typed instead.
 */

import type * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { Agent, type Dispatcher, request } from 'undici';

/** An error answer of the API server (a `metav1.Status`), with its HTTP code and reason. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** True when `err` is a {@link KubeApiError} with the given HTTP status. */
export function isKubeStatus(err: unknown, status: number): boolean {
  return err instanceof KubeApiError && err.status === status;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
  };
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeList<T> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** One event of a watch stream. */
export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Extra request headers (e.g. `accept` for Table output). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Milliseconds before the request is aborted (default 30 s; watches pass 0 for none). */
  timeoutMs?: number;
}

/** Client for one API server and one identity (the kubeconfig's current context). */
export class KubeClient {
  readonly server: string;
  private readonly dispatcher: Dispatcher;

  private constructor(
    private readonly kubeConfig: KubeConfig,
    tls: https.RequestOptions,
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new KubeApiError(0, 'NoCluster', 'the kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/+$/, '');
    this.dispatcher = new Agent({
      connect: {
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        rejectUnauthorized: tls.rejectUnauthorized ?? true,
      },
      keepAliveTimeout: 30_000,
    });
  }

  /** Builds a client from a loaded kubeconfig (its current context). */
  static async fromKubeConfig(kubeConfig: KubeConfig): Promise<KubeClient> {
    const tls: https.RequestOptions = {};
    await kubeConfig.applyToHTTPSOptions(tls);
    return new KubeClient(kubeConfig, tls);
  }

  /** The username-independent auth headers of the current user (re-read per call: tokens rotate). */
  private async authHeaders(): Promise<Record<string, string>> {
    const opts: https.RequestOptions = { headers: {} };
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') out[k] = v;
    return out;
  }

  private url(path: string, query?: RequestOptions['query']): string {
    const u = new URL(this.server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** Sends one request and parses the JSON answer; non-2xx answers throw {@link KubeApiError}. */
  async request<T>(method: Dispatcher.HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(await this.authHeaders()),
      ...options.headers,
    };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const timeout = options.timeoutMs ?? 30_000;
    const signals = [options.signal, timeout > 0 ? AbortSignal.timeout(timeout) : undefined].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const res = await request(this.url(path, options.query), {
      method,
      headers,
      body,
      dispatcher: this.dispatcher,
      signal: signals.length > 0 ? AbortSignal.any(signals) : undefined,
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw toApiError(res.statusCode, text);
    if (text.length === 0) return {} as T;
    // Health endpoints (/readyz, /livez) answer plain text.
    return (res.headers['content-type']?.toString().includes('json') ? JSON.parse(text) : text) as T;
  }

  get<T extends KubeObject>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { signal });
  }

  /** GET that answers undefined on 404. */
  async find<T extends KubeObject>(path: string, signal?: AbortSignal): Promise<T | undefined> {
    try {
      return await this.get<T>(path, signal);
    } catch (err) {
      if (isKubeStatus(err, 404)) return undefined;
      throw err;
    }
  }

  list<T extends KubeObject>(
    path: string,
    query?: RequestOptions['query'],
    signal?: AbortSignal,
  ): Promise<KubeList<T>> {
    return this.request<KubeList<T>>('GET', path, { query, signal });
  }

  /**
   * Server-side apply: the API server merges `object` as owned by `fieldManager`. `force` takes over
   * fields another manager set (an operator owns its outputs outright).
   */
  apply<T extends KubeObject>(
    path: string,
    object: unknown,
    options: { fieldManager: string; force?: boolean; dryRun?: boolean; signal?: AbortSignal },
  ): Promise<T> {
    return this.request<T>('PATCH', path, {
      body: object,
      contentType: 'application/apply-patch+yaml',
      query: {
        fieldManager: options.fieldManager,
        force: options.force ?? true,
        dryRun: options.dryRun ? 'All' : undefined,
      },
      signal: options.signal,
    });
  }

  /** JSON merge patch (RFC 7386). */
  mergePatch<T extends KubeObject>(path: string, patch: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>('PATCH', path, { body: patch, contentType: 'application/merge-patch+json', signal });
  }

  create<T extends KubeObject>(path: string, object: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>('POST', path, { body: object, signal });
  }

  replace<T extends KubeObject>(path: string, object: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>('PUT', path, { body: object, signal });
  }

  /** DELETE that treats 404 as done. */
  async delete(path: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.request('DELETE', path, { signal });
    } catch (err) {
      if (!isKubeStatus(err, 404)) throw err;
    }
  }

  /**
   * Opens a watch and yields its events until the server closes the stream, `signal` aborts, or
   * `timeoutSeconds` elapses server-side. The caller resumes from the last resourceVersion it saw.
   */
  async *watch<T extends KubeObject>(
    path: string,
    query: RequestOptions['query'],
    signal: AbortSignal,
  ): AsyncGenerator<WatchEvent<T>> {
    const res = await request(this.url(path, { ...query, watch: true }), {
      method: 'GET',
      headers: { accept: 'application/json', ...(await this.authHeaders()) },
      dispatcher: this.dispatcher,
      signal,
      // The server ends a watch after timeoutSeconds and sends bookmarks meanwhile; a stream silent
      // for longer than that is a dead connection, and the caller resumes on a new one.
      bodyTimeout: (Number(query?.timeoutSeconds ?? 300) + 60) * 1000,
    });
    if (res.statusCode >= 300) throw toApiError(res.statusCode, await res.body.text());
    let buffered = '';
    try {
      for await (const chunk of res.body) {
        buffered += (chunk as Buffer).toString('utf8');
        let nl = buffered.indexOf('\n');
        while (nl >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line.length > 0) yield JSON.parse(line) as WatchEvent<T>;
          nl = buffered.indexOf('\n');
        }
      }
    } finally {
      res.body.destroy();
    }
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

function toApiError(status: number, text: string): KubeApiError {
  try {
    const parsed = JSON.parse(text) as { reason?: string; message?: string; details?: unknown };
    return new KubeApiError(status, parsed.reason ?? 'Unknown', parsed.message ?? text, parsed.details);
  } catch {
    return new KubeApiError(status, 'Unknown', text.slice(0, 500));
  }
}
