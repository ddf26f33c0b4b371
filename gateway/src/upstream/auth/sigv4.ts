import { createHmac, hash } from 'node:crypto';
import type { Clock, SignableRequest } from './types.js';

/** AWS credentials as the signer consumes them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
  /** Absent for long-lived keys. */
  readonly expiration?: Date | undefined;
}

export type CredentialSource = () => Promise<AwsCredentials>;

/** Bedrock signs as `bedrock` for both planes, not `bedrock-runtime` (§0). */
export const BEDROCK_SIGNING_NAME = 'bedrock';

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SCOPE_TERMINATOR = 'aws4_request';
/** Headers the AWS SDKs never sign (hop-by-hop, client-identifying or rewritten by proxies). */
const UNSIGNABLE = new Set([
  'authorization',
  'cache-control',
  'connection',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);
/** Set by the signer itself; a value already on the request is replaced. */
const GENERATED = new Set(['authorization', 'x-amz-date', 'date']);
/** Header values that need SigV4's whitespace folding (line breaks, tabs, runs of or edge spaces). */
const NEEDS_FOLDING = /[\r\n\t]| {2}|^ | $/;
const MAX_CACHED_PATHS = 1024;
const MAX_CACHED_LAYOUTS = 8;

/** How one order of header names is signed (see {@link SigV4Signer.layoutOf}). */
interface HeaderLayout {
  /** Every header name, in the request's order. */
  readonly names: readonly string[];
  /** The names of the signed headers, in canonical order. */
  readonly signed: readonly string[];
  readonly signedHeaders: string;
  /** The name under which the caller gave the payload hash, if it did. */
  readonly contentSha256: string | undefined;
  /** The canonical request's parts; the method, path, values and payload hash are filled in per request. */
  readonly parts: string[];
}

/**
 * SigV4 (AWS4-HMAC-SHA256) for Bedrock requests, on node:crypto.
 *
 * Signing sits on every upstream attempt, and `@smithy/signature-v4` took ~50 µs per request there
 * (a dozen awaits, a request clone, regexes per header, an HMAC per call only to key its cache); this
 * computes the same signature — the tests check it byte for byte against `@smithy/signature-v4` — with
 * one body hash, one canonical-request hash and one HMAC. The derived signing key is cached per region
 * and day, and the canonical form of each path is cached (paths come from the config, so they are few).
 *
 * Canonicalisation follows the AWS SigV4 specification as the SDKs apply it to non-S3 services: the
 * already-encoded path is normalised and encoded once more (`%3A` → `%253A`, bedrock-wire §9.1), header
 * names are lower-cased and sorted, values are whitespace-folded, and no `x-amz-content-sha256` is sent
 * (botocore sends none to Bedrock; the canonical request still carries the body hash).
 */
export class SigV4Signer {
  private readonly keys = new Map<string, { day: string; secret: string; accessKeyId: string; key: Buffer }>();
  private readonly paths = new Map<string, string>();
  /** By the order of header names a request comes with; the gateway sends one or two such orders. */
  private readonly layouts: HeaderLayout[] = [];
  private second = Number.NaN;
  private amzDate = '';

  constructor(
    private readonly credentials: CredentialSource,
    private readonly clock: Clock = Date.now,
  ) {}

  async sign(request: SignableRequest): Promise<void> {
    const credentials = await this.credentials();
    if (typeof credentials?.accessKeyId !== 'string' || typeof credentials.secretAccessKey !== 'string') {
      // Same wording as the SDK signer; the upstream client maps it to upstream_credentials_unavailable.
      throw new Error('Resolved credential object is not valid');
    }
    const amzDate = this.dateOf(this.clock());
    const day = amzDate.slice(0, 8);

    const headers = request.headers;
    // for…in reads V8's enumeration cache: no array of names per request, as Object.keys would allocate.
    for (const name in headers) if (GENERATED.has(name.toLowerCase())) delete headers[name];
    headers['x-amz-date'] = amzDate;
    if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;

    const layout = this.layoutOf(headers);
    // The canonical request, joined once from the layout's fixed parts and this request's values (no
    // intermediate strings to build or flatten before hashing).
    const parts = layout.parts;
    parts[0] = request.method;
    parts[2] = this.canonicalPath(request.path);
    let payloadHash: string | undefined;
    for (let i = 0; i < layout.signed.length; i++) {
      const value = headers[layout.signed[i]!]!;
      parts[4 + 2 * i] = NEEDS_FOLDING.test(value) ? fold(value) : value;
    }
    if (layout.contentSha256 !== undefined) payloadHash = headers[layout.contentSha256];
    // One-shot hashes: half the cost of createHash().update().digest() for bodies of a few kilobytes.
    payloadHash ??= hash('sha256', request.body, 'hex');
    parts[parts.length - 1] = payloadHash;
    const canonicalRequest = parts.join('');

    const scope = `${day}/${request.region}/${BEDROCK_SIGNING_NAME}/${SCOPE_TERMINATOR}`;
    const stringToSign = `${ALGORITHM}\n${amzDate}\n${scope}\n${hash('sha256', canonicalRequest, 'hex')}`;
    const signature = createHmac('sha256', this.signingKey(credentials, day, request.region))
      .update(stringToSign)
      .digest('hex');
    headers.authorization = `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${layout.signedHeaders}, Signature=${signature}`;
  }

  /**
   * The signing layout of these header names in this order, built once: which headers are signed, in
   * canonical (sorted, lower-case) order, and the fixed parts of the canonical request around their values.
   * Only header names decide it; values are read per request. A request whose headers hold a value that is
   * not a string (the type forbids it; JavaScript callers might not) gets a layout of its own, not cached.
   */
  private layoutOf(headers: Record<string, string>): HeaderLayout {
    for (const layout of this.layouts) {
      let i = 0;
      let same = true;
      for (const name in headers) {
        if (layout.names[i++] !== name || typeof headers[name] !== 'string') {
          same = false;
          break;
        }
      }
      if (same && i === layout.names.length) return layout;
    }
    const names: string[] = [];
    const signed: [lower: string, name: string][] = [];
    let contentSha256: string | undefined;
    let cacheable = true;
    for (const name in headers) {
      names.push(name);
      const value = headers[name];
      if (typeof value !== 'string') {
        cacheable = false;
        if (value === undefined || value === null) continue;
      }
      const lower = name.toLowerCase();
      if (lower === 'x-amz-content-sha256') contentSha256 = name;
      if (UNSIGNABLE.has(lower) || lower.startsWith('proxy-') || lower.startsWith('sec-')) continue;
      signed.push([lower, name]);
    }
    signed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const signedHeaders = signed.map(([lower]) => lower).join(';');
    // `METHOD\nPATH\n\n` (no query), `name:value\n` for each signed header, `\nSIGNED-HEADERS\nPAYLOAD-HASH`: the
    // method at 0, the path at 2, the i-th value at 4 + 2i, each after the text that precedes it, and the
    // payload hash last.
    const parts: string[] = ['', '\n', ''];
    let before = '\n\n';
    for (const [lower] of signed) {
      parts.push(`${before}${lower}:`, '');
      before = '\n';
    }
    parts.push(`${before}\n${signedHeaders}\n`, '');
    const layout: HeaderLayout = {
      names,
      signed: signed.map(([, name]) => name),
      signedHeaders,
      contentSha256,
      parts,
    };
    if (cacheable) {
      if (this.layouts.length >= MAX_CACHED_LAYOUTS) this.layouts.shift();
      this.layouts.push(layout);
    }
    return layout;
  }

  /** `YYYYMMDDTHHMMSSZ`, formatted once per second. */
  private dateOf(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      this.second = second;
      const iso = new Date(second * 1000).toISOString(); // 2025-01-01T00:00:00.000Z
      this.amzDate = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
    }
    return this.amzDate;
  }

  /** kSigning = HMAC chain over day, region, service and `aws4_request`; valid for one day. */
  private signingKey(credentials: AwsCredentials, day: string, region: string): Buffer {
    const hit = this.keys.get(region);
    if (
      hit &&
      hit.day === day &&
      hit.secret === credentials.secretAccessKey &&
      hit.accessKeyId === credentials.accessKeyId
    ) {
      return hit.key;
    }
    let key = createHmac('sha256', `AWS4${credentials.secretAccessKey}`).update(day).digest();
    for (const part of [region, BEDROCK_SIGNING_NAME, SCOPE_TERMINATOR]) {
      key = createHmac('sha256', key).update(part).digest();
    }
    this.keys.set(region, {
      day,
      secret: credentials.secretAccessKey,
      accessKeyId: credentials.accessKeyId,
      key,
    });
    return key;
  }

  /** Dot segments and empty segments removed, then every byte but `/` percent-encoded once more. */
  private canonicalPath(path: string): string {
    let canonical = this.paths.get(path);
    if (canonical !== undefined) return canonical;
    const segments: string[] = [];
    for (const segment of path.split('/')) {
      if (segment === '' || segment === '.') continue;
      if (segment === '..') segments.pop();
      else segments.push(segment);
    }
    const normalised = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
    canonical = encodeURIComponent(normalised)
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
      .replace(/%2F/g, '/');
    if (this.paths.size >= MAX_CACHED_PATHS) this.paths.clear();
    this.paths.set(path, canonical);
    return canonical;
  }
}

/** SigV4 value folding: line breaks to spaces, runs of spaces and tabs to one space, edges trimmed. */
function fold(value: string): string {
  return value
    .replace(/[\r\n]/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
}
