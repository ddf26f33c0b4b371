/**
 * Options of the media fetcher (http(s) `image_url` parts of chat requests) and their defaults. One object,
 * one docs table (docs/chat-response-mapping.md, "Image URL fetching").
 */
import { GatewayError } from '../errors/index.js';

/** Settings of {@link MediaFetcher}. Host patterns are exact host names or `*.example.com` (subdomains only). */
export interface MediaFetchOptions {
  /** Whether http(s) image URLs are fetched at all; when false such parts are a 400 asking for a data URL. */
  readonly enabled: boolean;
  /** Allow plain `http:` URLs (https only otherwise). */
  readonly allowHttp: boolean;
  /** Hosts images may be fetched from; `null` = any host whose addresses are public. */
  readonly allowedHosts: readonly string[] | null;
  /**
   * Hosts whose addresses may be private, loopback or link-local (an in-cluster asset server). Everything
   * else is refused after DNS resolution.
   */
  readonly allowPrivateHosts: readonly string[];
  /** Largest image accepted, in bytes. Bedrock limits each image to 3.75 MB. */
  readonly maxBytes: number;
  /** Total time for one image, including redirects and the body, in milliseconds. */
  readonly timeoutMs: number;
  /** Redirects followed per image; each hop is checked like the first URL. */
  readonly maxRedirects: number;
  /** Images of one request fetched at the same time. */
  readonly maxConcurrency: number;
  /** Content types accepted: Bedrock's image formats (png, jpeg, gif, webp). */
  readonly allowedContentTypes: readonly string[];
  /** `User-Agent` sent with each fetch. */
  readonly userAgent: string;
}

/** Defaults of every media-fetch option (bytes, milliseconds, counts). */
export const MEDIA_FETCH_DEFAULTS: MediaFetchOptions = Object.freeze({
  enabled: true,
  allowHttp: false,
  allowedHosts: null,
  allowPrivateHosts: Object.freeze([]) as readonly string[],
  // 3.75 MiB, Bedrock's per-image limit in Converse; a larger image would be rejected upstream anyway.
  maxBytes: 3_932_160,
  timeoutMs: 10_000,
  maxRedirects: 3,
  maxConcurrency: 4,
  allowedContentTypes: Object.freeze(['image/png', 'image/jpeg', 'image/gif', 'image/webp']) as readonly string[],
  userAgent: 'aigateway-media-fetcher/1',
});

/** Environment variables read by {@link mediaFetchOptionsFromEnv}, by option. */
export const MEDIA_FETCH_ENV = Object.freeze({
  enabled: 'AIGW_MEDIA_FETCH',
  allowHttp: 'AIGW_MEDIA_FETCH_ALLOW_HTTP',
  allowedHosts: 'AIGW_MEDIA_FETCH_ALLOWED_HOSTS',
  allowPrivateHosts: 'AIGW_MEDIA_FETCH_ALLOW_PRIVATE_HOSTS',
  maxBytes: 'AIGW_MEDIA_FETCH_MAX_BYTES',
  timeoutMs: 'AIGW_MEDIA_FETCH_TIMEOUT_MS',
  maxRedirects: 'AIGW_MEDIA_FETCH_MAX_REDIRECTS',
  maxConcurrency: 'AIGW_MEDIA_FETCH_MAX_CONCURRENCY',
} as const);

/**
 * Reads media-fetch options from environment variables ({@link MEDIA_FETCH_ENV}); unset variables keep
 * their defaults. Booleans are `true`/`false` (also `on`/`off`, `1`/`0`); host lists are comma-separated.
 * Throws `invalid_value` naming the variable when a value cannot be read, so a typo fails at start-up
 * instead of silently widening or narrowing the policy.
 */
export function mediaFetchOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Partial<MediaFetchOptions> {
  const options: { -readonly [K in keyof MediaFetchOptions]?: MediaFetchOptions[K] } = {};
  const enabled = readBoolean(env, MEDIA_FETCH_ENV.enabled);
  if (enabled !== undefined) options.enabled = enabled;
  const allowHttp = readBoolean(env, MEDIA_FETCH_ENV.allowHttp);
  if (allowHttp !== undefined) options.allowHttp = allowHttp;
  const allowedHosts = readList(env, MEDIA_FETCH_ENV.allowedHosts);
  if (allowedHosts !== undefined) options.allowedHosts = allowedHosts;
  const allowPrivateHosts = readList(env, MEDIA_FETCH_ENV.allowPrivateHosts);
  if (allowPrivateHosts !== undefined) options.allowPrivateHosts = allowPrivateHosts;
  const maxBytes = readInteger(env, MEDIA_FETCH_ENV.maxBytes, 1);
  if (maxBytes !== undefined) options.maxBytes = maxBytes;
  const timeoutMs = readInteger(env, MEDIA_FETCH_ENV.timeoutMs, 1);
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  const maxRedirects = readInteger(env, MEDIA_FETCH_ENV.maxRedirects, 0);
  if (maxRedirects !== undefined) options.maxRedirects = maxRedirects;
  const maxConcurrency = readInteger(env, MEDIA_FETCH_ENV.maxConcurrency, 1);
  if (maxConcurrency !== undefined) options.maxConcurrency = maxConcurrency;
  return options;
}

function readBoolean(env: Readonly<Record<string, string | undefined>>, name: string): boolean | undefined {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true' || raw === 'on' || raw === '1') return true;
  if (raw === 'false' || raw === 'off' || raw === '0') return false;
  throw new GatewayError('invalid_value', `${name} must be true or false; got '${raw}'.`, { param: name });
}

function readList(env: Readonly<Record<string, string | undefined>>, name: string): string[] | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host !== '');
}

function readInteger(env: Readonly<Record<string, string | undefined>>, name: string, min: number): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new GatewayError('invalid_value', `${name} must be an integer of at least ${min}; got '${raw}'.`, {
      param: name,
    });
  }
  return value;
}
