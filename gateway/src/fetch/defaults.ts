/**
 * Options of the media fetcher (http(s) `image_url` parts of chat requests) and their defaults. One object,
 * one docs table (docs/chat-response-mapping.md, "Image URL fetching").
 */

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
