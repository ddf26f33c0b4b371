/**
 * Egress through an HTTP proxy: on-premises clusters often reach AWS only through one, named by the
 * curl-style variables `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` (lower-case forms first). Every
 * outbound call to AWS goes through one of the two helpers here, so they all follow the same rules:
 *
 * - {@link createEgressDispatcher}: an undici dispatcher (keep-alive pools per origin, as a plain
 *   `Agent`), for calls the gateway makes itself (Bedrock runtime, control plane).
 * - {@link createSdkRequestHandler}: a `requestHandler` for AWS SDK v3 clients (STS, S3, Bedrock
 *   control plane): `new S3Client({ ..., requestHandler: createSdkRequestHandler() })`.
 *
 * https targets are tunnelled with CONNECT; http targets (emulators, test servers) are sent to the
 * proxy in absolute form (`GET http://host/path`), as curl does. docs/configuration.md, "Egress
 * through a proxy", describes the variables for users.
 */
import type { Readable } from 'node:stream';
import type { Dispatcher, Agent as UndiciAgent } from 'undici';
import { Agent, EnvHttpProxyAgent } from './undici.js';

/** The environment the proxy variables are read from. */
export type ProxyEnv = Readonly<Record<string, string | undefined>>;

/** Proxy settings read from the environment; empty strings mean "not set". */
export interface ProxySettings {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
}

/** Reads `http_proxy`/`HTTP_PROXY`, `https_proxy`/`HTTPS_PROXY`, `no_proxy`/`NO_PROXY`, lower-case first as curl does. */
export function proxySettingsFromEnv(env: ProxyEnv = process.env): ProxySettings {
  const read = (name: string) => (env[name] ?? env[name.toUpperCase()] ?? '').trim();
  return { httpProxy: read('http_proxy'), httpsProxy: read('https_proxy'), noProxy: read('no_proxy') };
}

/**
 * A one-line description of the proxy settings for a startup log, with any proxy password removed;
 * undefined when no proxy is set.
 */
export function describeProxySettings(settings: ProxySettings): string | undefined {
  if (!settings.httpProxy && !settings.httpsProxy) return undefined;
  const parts = [
    settings.httpsProxy && `https via ${withoutCredentials(settings.httpsProxy)}`,
    settings.httpProxy && `http via ${withoutCredentials(settings.httpProxy)}`,
    settings.noProxy && `except NO_PROXY ${settings.noProxy}`,
  ].filter(Boolean);
  return `egress through a proxy: ${parts.join(', ')}`;
}

function withoutCredentials(uri: string): string {
  try {
    const url = new URL(uri);
    url.username = '';
    url.password = '';
    return url.origin;
  } catch {
    return '(unparsable proxy URL)';
  }
}

/**
 * The dispatcher for outbound calls: a plain undici `Agent` with `options` when no proxy variable is
 * set, else undici's `EnvHttpProxyAgent`, which picks per request (by the target's scheme and
 * `NO_PROXY`) between the proxy and a direct `Agent`, each keeping keep-alive pools with `options`.
 *
 * @throws InvalidArgumentError when a proxy variable is not a URL.
 */
export function createEgressDispatcher(options: UndiciAgent.Options = {}, env: ProxyEnv = process.env): Dispatcher {
  const { httpProxy, httpsProxy, noProxy } = proxySettingsFromEnv(env);
  if (!httpProxy && !httpsProxy) return new Agent(options);
  // Explicit values (empty strings included) so undici does not read process.env on its own.
  return new EnvHttpProxyAgent({ ...options, httpProxy, httpsProxy, noProxy, proxyTunnel: false });
}

let shared: Dispatcher | undefined;

/**
 * One process-wide egress dispatcher for the AWS SDK clients and other low-volume calls (credential
 * checks, STS), created from `process.env` on first use and never closed: idle keep-alive sockets do
 * not keep the process alive.
 */
export function sharedEgressDispatcher(): Dispatcher {
  shared ??= createEgressDispatcher({ keepAliveTimeout: 30_000, connect: { timeout: 10_000 } });
  return shared;
}

/** The parts of a Smithy `HttpRequest` the handler reads. */
interface SdkHttpRequest {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | (string | null)[] | null>;
  method: string;
  headers: Record<string, string>;
  body?: unknown;
}

interface SdkHttpResponse {
  statusCode: number;
  reason?: string;
  headers: Record<string, string>;
  body: Readable;
}

/** The AWS SDK v3 `HttpHandler` contract (a client uses any object with `handle` as its handler). */
export interface SdkRequestHandler {
  readonly metadata: { handlerProtocol: string };
  handle(
    request: SdkHttpRequest,
    options?: { abortSignal?: AbortSignal | { aborted: boolean }; requestTimeout?: number },
  ): Promise<{ response: SdkHttpResponse }>;
  updateHttpClientConfig(key: never, value: never): void;
  httpHandlerConfigs(): Record<string, never>;
  destroy(): void;
}

// undici refuses these hop-by-hop headers (it frames the body itself); the SDK may set them for
// streamed uploads (`Expect: 100-continue`, `Transfer-Encoding: chunked`). None of them is signed.
const DROPPED_HEADERS = new Set(['expect', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade']);

/**
 * A `requestHandler` for AWS SDK v3 clients that sends through {@link sharedEgressDispatcher} (or the
 * given dispatcher), so SDK calls honour the proxy variables like the gateway's own calls.
 *
 * Written here rather than configured because the SDK's Node handler takes `http.Agent`s, and Node 22's
 * agents have no proxy support; undici's agent, already the gateway's transport, does.
 */
export function createSdkRequestHandler(
  options: {
    /** Its own pool (closed by `destroy()`, i.e. the client's `destroy()`); default the shared one. */
    dispatcher?: Dispatcher;
    /** Longest wait for response headers and between body chunks, ms, unless the SDK passes its own. */
    requestTimeoutMs?: number;
  } = {},
): SdkRequestHandler {
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(request, handleOptions = {}) {
      const dispatcher = options.dispatcher ?? sharedEgressDispatcher();
      const port = request.port ? `:${request.port}` : '';
      const protocol = request.protocol.endsWith(':') ? request.protocol : `${request.protocol}:`;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (!DROPPED_HEADERS.has(name.toLowerCase())) headers[name] = value;
      }
      const query = queryString(request.query);
      const signal = handleOptions.abortSignal as AbortSignal | undefined;
      const timeout = handleOptions.requestTimeout || options.requestTimeoutMs;
      let res: Dispatcher.ResponseData;
      try {
        res = await dispatcher.request({
          origin: `${protocol}//${request.hostname}${port}`,
          path: `${request.path}${query ? `?${query}` : ''}`,
          method: request.method as Dispatcher.HttpMethod,
          headers,
          body: (request.body ?? null) as Dispatcher.DispatchOptions['body'],
          ...(signal ? { signal } : {}),
          ...(timeout ? { headersTimeout: timeout, bodyTimeout: timeout } : {}),
        });
      } catch (err) {
        throw asSdkError(err);
      }
      const responseHeaders: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { response: { statusCode: res.statusCode, headers: responseHeaders, body: res.body } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {
      void options.dispatcher?.close().catch(() => undefined);
    },
  };
}

// undici's timeouts, named as the SDK's own Node handler names its timeouts, so SDK retries and callers
// that look for `TimeoutError` treat them alike.
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function asSdkError(err: unknown): unknown {
  const code = (err as { code?: string } | null)?.code;
  if (!code || !TIMEOUT_CODES.has(code)) return err;
  const timeout = new Error((err as Error).message, { cause: err });
  timeout.name = 'TimeoutError';
  return timeout;
}

/** RFC 3986 query encoding as the SDK's own handlers build it (keys in the given order). */
function queryString(query: SdkHttpRequest['query']): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    const k = escapeUri(key);
    if (Array.isArray(value)) {
      for (const item of value) parts.push(item === null ? k : `${k}=${escapeUri(item)}`);
    } else if (value === null) parts.push(k);
    else parts.push(`${k}=${escapeUri(value)}`);
  }
  return parts.join('&');
}

function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
