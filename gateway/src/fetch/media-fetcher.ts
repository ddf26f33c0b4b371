/**
 * Fetches http(s) `image_url` parts for the chat translator. Bedrock only accepts image bytes (or S3), so
 * the gateway downloads the image itself; the caller controls the URL, which makes this the gateway's one
 * server-side request forgery surface. Defences, in order:
 * - scheme (https unless `allowHttp`), no userinfo, optional host allowlist;
 * - IP literals are classified before any connection;
 * - host names are resolved by our own `lookup` inside the connector, which classifies every resolved
 *   address and hands the socket exactly the address it checked, so a DNS answer that changes between
 *   check and connect (rebinding) cannot reach a private address;
 * - redirects are followed by hand, each hop going through the same checks;
 * - a byte limit enforced while streaming, a total deadline, and an image content type.
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import type { Agent as UndiciAgent } from 'undici';
import { echo, formatDuration, GatewayError, isGatewayError } from '../errors/index.js';
import { sniffImageFormat } from '../translate/chat/index.js';
import { Agent } from '../upstream/undici.js';
import { type AddressRefusal, classifyAddress } from './address-policy.js';
import { MEDIA_FETCH_DEFAULTS, type MediaFetchOptions } from './defaults.js';

/** A downloaded image: its bytes and the normalised image content type (e.g. `image/png`). */
export interface FetchedMedia {
  bytes: Uint8Array;
  contentType: string;
}

/** An image URL plus the request parameter it came from, so errors can name it. */
export interface MediaFetchTarget {
  url: string;
  /** e.g. `messages[2].content[1].image_url.url`. */
  param: string;
}

/** Resolves a host name to all of its addresses (defaults to `dns.lookup` with `all: true`). */
export type HostResolver = (hostname: string) => Promise<readonly LookupAddress[]>;

/** Constructor options: any subset of {@link MediaFetchOptions}, plus a resolver override for tests. */
export interface MediaFetcherInit extends Partial<MediaFetchOptions> {
  resolve?: HostResolver;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const defaultResolve: HostResolver = (hostname) => dnsLookup(hostname, { all: true });

/**
 * Downloads image URLs under the gateway's SSRF policy. Create one per config snapshot and reuse it: it
 * owns a keep-alive connection pool. Every failure is a {@link GatewayError} (400 `invalid_value` naming
 * the URL's parameter), except a caller abort (`client_closed_request`).
 */
export class MediaFetcher {
  readonly options: MediaFetchOptions;
  private readonly resolve: HostResolver;
  private readonly agent: UndiciAgent;

  constructor(init: MediaFetcherInit = {}) {
    const { resolve, ...options } = init;
    this.options = { ...MEDIA_FETCH_DEFAULTS, ...stripUndefined(options) };
    this.resolve = resolve ?? defaultResolve;
    this.agent = new Agent({
      connect: { lookup: this.lookup, timeout: this.options.timeoutMs },
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
      // The peer is untrusted; never pipeline requests of different callers onto one connection.
      pipelining: 1,
    });
  }

  /**
   * Fetches every distinct URL (at most `maxConcurrency` at a time) and returns them keyed by URL. Plain
   * strings get the parameter name `image_url.url` in errors; pass {@link MediaFetchTarget}s to have the
   * error name the exact message part. The first failure rejects the whole call and cancels the rest.
   */
  async fetchAll(
    urls: readonly (string | MediaFetchTarget)[],
    signal?: AbortSignal,
  ): Promise<Map<string, FetchedMedia>> {
    const targets = new Map<string, string>();
    for (const item of urls) {
      const target = typeof item === 'string' ? { url: item, param: 'image_url.url' } : item;
      if (!targets.has(target.url)) targets.set(target.url, target.param);
    }
    const results = new Map<string, FetchedMedia>();
    if (targets.size === 0) return results;
    if (!this.options.enabled) {
      const [, param] = targets.entries().next().value as [string, string];
      throw new GatewayError(
        'invalid_value',
        'Fetching image URLs is disabled on this gateway; send the image as a base64 data URL instead.',
        { param },
      );
    }
    // One controller cancels the siblings as soon as one image fails.
    const group = new AbortController();
    const groupSignal = signal === undefined ? group.signal : AbortSignal.any([signal, group.signal]);
    const queue = [...targets.entries()];
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const [url, param] = next;
        results.set(url, await this.fetchOne(url, param, groupSignal, signal));
      }
    };
    const workers: Promise<void>[] = [];
    for (let i = 0; i < Math.min(this.options.maxConcurrency, queue.length); i++) workers.push(worker());
    try {
      await Promise.all(workers);
    } catch (error) {
      group.abort();
      throw error;
    }
    return results;
  }

  /** Closes the connection pool (config reload, shutdown). */
  close(): Promise<void> {
    return this.agent.close();
  }

  private async fetchOne(
    url: string,
    param: string,
    signal: AbortSignal,
    callerSignal: AbortSignal | undefined,
  ): Promise<FetchedMedia> {
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    const combined = AbortSignal.any([signal, deadline]);
    let current = this.checkUrl(url, param);
    try {
      for (let hop = 0; ; hop++) {
        const response = await this.agent.request({
          origin: current.origin,
          path: `${current.pathname}${current.search}`,
          method: 'GET',
          headers: { 'user-agent': this.options.userAgent, accept: 'image/*', 'accept-encoding': 'identity' },
          signal: combined,
        });
        if (REDIRECT_STATUSES.has(response.statusCode)) {
          discard(response.body);
          const location = headerValue(response.headers.location);
          if (location === undefined) {
            throw invalid(param, `Image URL of host '${echo(current.hostname)}' redirected without a Location.`);
          }
          if (hop >= this.options.maxRedirects) {
            throw invalid(param, `Image URL redirected more than ${this.options.maxRedirects} times.`);
          }
          current = this.checkUrl(new URL(location, current).href, param);
          continue;
        }
        if (response.statusCode !== 200) {
          discard(response.body);
          throw invalid(
            param,
            `Image URL could not be fetched: host '${echo(current.hostname)}' answered HTTP ${response.statusCode}.`,
          );
        }
        const declared = normaliseContentType(headerValue(response.headers['content-type']));
        const acceptable =
          declared === undefined ||
          declared === 'application/octet-stream' ||
          this.options.allowedContentTypes.includes(declared);
        if (!acceptable) {
          discard(response.body);
          throw this.unsupportedType(param, declared);
        }
        const length = Number(headerValue(response.headers['content-length']) ?? Number.NaN);
        if (length > this.options.maxBytes) {
          discard(response.body);
          throw this.oversized(param);
        }
        const chunks: Buffer[] = [];
        let total = 0;
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          total += chunk.length;
          if (total > this.options.maxBytes) {
            discard(response.body);
            throw this.oversized(param);
          }
          chunks.push(chunk);
        }
        const bytes = new Uint8Array(Buffer.concat(chunks, total));
        // Servers often label images application/octet-stream (object stores) or mislabel them; the bytes'
        // signature decides, because Bedrock rejects an image whose declared format does not match.
        const sniffed = sniffImageFormat(bytes);
        const contentType = sniffed ? `image/${sniffed}` : declared;
        if (contentType === undefined || !this.options.allowedContentTypes.includes(contentType)) {
          throw this.unsupportedType(param, contentType);
        }
        return { bytes, contentType };
      }
    } catch (error) {
      if (callerSignal?.aborted) {
        throw new GatewayError('client_closed_request', 'The client closed the request.', { cause: error });
      }
      if (isGatewayError(error)) {
        // Refusals raised inside the connector's lookup do not know which parameter they belong to.
        throw error.param === param ? error : new GatewayError(error.code, error.message, { param, cause: error });
      }
      if (deadline.aborted) {
        throw invalid(
          param,
          `Image URL did not deliver the image within ${formatDuration(this.options.timeoutMs)}.`,
          error,
        );
      }
      if (signal.aborted) throw error;
      const code = errorCode(error);
      throw invalid(
        param,
        `Image URL could not be fetched: host '${echo(current.hostname)}' is unreachable${code === undefined ? '' : ` (${code})`}.`,
        error,
      );
    }
  }

  /** Scheme, userinfo, allowlist and IP-literal checks; everything that can be refused without a socket. */
  private checkUrl(raw: string, param: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch (error) {
      throw invalid(param, 'Image URL is not a valid URL.', error);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.options.allowHttp)) {
      const allowed = this.options.allowHttp ? 'http or https' : 'https';
      throw invalid(param, `Image URL must use ${allowed}; got '${echo(url.protocol.slice(0, -1))}'.`);
    }
    if (url.username !== '' || url.password !== '') {
      throw invalid(param, 'Image URL must not contain credentials.');
    }
    const host = hostOf(url);
    if (this.options.allowedHosts !== null && !matchesHost(host, this.options.allowedHosts)) {
      throw invalid(param, `Image URL host '${echo(host)}' is not in the gateway's list of allowed media hosts.`);
    }
    if (isIP(host) !== 0 && !matchesHost(host, this.options.allowPrivateHosts)) {
      const refusal = classifyAddress(host);
      if (refusal !== null) throw refused(param, host, refusal);
    }
    return url;
  }

  /**
   * The connector's DNS lookup: resolves, refuses the host if any address is non-public (unless the host
   * may be private), and returns only checked addresses, so the socket connects to what was checked.
   */
  private readonly lookup: LookupFunction = (hostname, options: LookupOptions, callback) => {
    const host = hostname.toLowerCase().replace(/\.$/, '');
    this.resolve(host).then(
      (resolved) => {
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const addresses = family === undefined ? resolved : resolved.filter((entry) => entry.family === family);
        if (!matchesHost(host, this.options.allowPrivateHosts)) {
          for (const entry of addresses) {
            const refusal = classifyAddress(entry.address);
            if (refusal !== null) {
              callback(refused('image_url.url', host, refusal), '', 0);
              return;
            }
          }
        }
        const first = addresses[0];
        if (first === undefined) {
          callback(invalid('image_url.url', `Image URL host '${echo(host)}' has no address.`), '', 0);
        } else if (options.all === true) {
          callback(null, [...addresses]);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => {
        callback(invalid('image_url.url', `Image URL host '${echo(host)}' could not be resolved.`, error), '', 0);
      },
    );
  };

  private oversized(param: string): GatewayError {
    return invalid(param, `Image at the URL is larger than the gateway's limit of ${this.options.maxBytes} bytes.`);
  }

  private unsupportedType(param: string, contentType: string | undefined): GatewayError {
    return invalid(
      param,
      `Image URL returned content type '${echo(contentType ?? 'none')}'; expected one of ${this.options.allowedContentTypes.join(', ')}.`,
    );
  }
}

function invalid(param: string, message: string, cause?: unknown): GatewayError {
  return new GatewayError('invalid_value', message, { param, cause });
}

function refused(param: string, host: string, refusal: AddressRefusal): GatewayError {
  return invalid(
    param,
    `Image URL host '${echo(host)}' is a ${refusal} address; the gateway only fetches images from public addresses.`,
  );
}

/** Host name without IPv6 brackets or a trailing dot, lowercased (WHATWG URL already lowercases). */
function hostOf(url: URL): string {
  const host = url.hostname;
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return bare.endsWith('.') ? bare.slice(0, -1) : bare;
}

/** Exact match, or `*.example.com` matching any subdomain of example.com (not the apex). */
export function matchesHost(host: string, patterns: readonly string[]): boolean {
  for (const raw of patterns) {
    const pattern = raw.toLowerCase();
    if (pattern.startsWith('*.')) {
      if (host.endsWith(pattern.slice(1))) return true;
    } else if (pattern === host) {
      return true;
    }
  }
  return false;
}

/** Drops a body we will not read; undici reports a destroyed body as an abort error, which is expected here. */
function discard(body: NodeJS.ReadableStream & { destroy(): unknown }): void {
  body.on('error', ignore);
  body.destroy();
}

function ignore(): void {}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function normaliseContentType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const semicolon = value.indexOf(';');
  const type = (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  if (type === '') return undefined;
  // `image/jpg` is common in the wild but not a registered type; Bedrock's format name is jpeg.
  return type === 'image/jpg' || type === 'image/pjpeg' ? 'image/jpeg' : type;
}

function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && !code.startsWith('UND_ERR_SOCKET')) return code;
  }
  return undefined;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] !== undefined) out[key] = value[key];
  }
  return out;
}
