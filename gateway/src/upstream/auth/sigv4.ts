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
    const scope = `${day}/${request.region}/${BEDROCK_SIGNING_NAME}/${SCOPE_TERMINATOR}`;

    const headers = request.headers;
    for (const name of Object.keys(headers)) if (GENERATED.has(name.toLowerCase())) delete headers[name];
    headers['x-amz-date'] = amzDate;
    if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;

    const canonical: [string, string][] = [];
    let payloadHash: string | undefined;
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (value === undefined || value === null) continue;
      const lower = name.toLowerCase();
      if (lower === 'x-amz-content-sha256') payloadHash = value;
      if (UNSIGNABLE.has(lower) || lower.startsWith('proxy-') || lower.startsWith('sec-')) continue;
      canonical.push([lower, NEEDS_FOLDING.test(value) ? fold(value) : value]);
    }
    canonical.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let headerBlock = '';
    let signedHeaders = '';
    for (const [name, value] of canonical) {
      headerBlock += `${name}:${value}\n`;
      signedHeaders += signedHeaders === '' ? name : `;${name}`;
    }
    // One-shot hashes: half the cost of createHash().update().digest() for bodies of a few kilobytes.
    payloadHash ??= hash('sha256', request.body, 'hex');

    const canonicalRequest = `${request.method}\n${this.canonicalPath(request.path)}\n\n${headerBlock}\n${signedHeaders}\n${payloadHash}`;
    const stringToSign = `${ALGORITHM}\n${amzDate}\n${scope}\n${hash('sha256', canonicalRequest, 'hex')}`;
    const signature = createHmac('sha256', this.signingKey(credentials, day, request.region))
      .update(stringToSign)
      .digest('hex');
    headers.authorization = `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
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
