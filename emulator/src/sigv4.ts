/**
 * SigV4 verification. The signature is recomputed with `@smithy/signature-v4` over a request that holds
 * exactly the headers the client listed in `SignedHeaders`, the client's `X-Amz-Date` and the raw body,
 * then compared in constant time (bedrock-wire.md §9.1).
 */

import { timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { BedrockException } from './errors.js';

/**
 * SHA-256 / HMAC-SHA256 on node:crypto (`@smithy/hash-node`) for the smithy signer. Every request is
 * verified, so the native hash keeps the emulator cheap under benchmark load (the pure-JS hash costs
 * several times more).
 */
export const NodeSha256 = Hash.bind(null, 'sha256');

/** The parts of an incoming request SigV4 covers. */
export interface SignableRequest {
  readonly method: string;
  /** Path exactly as received (still percent-encoded), without the query string. */
  readonly path: string;
  /** Decoded query parameters. */
  readonly query: Readonly<Record<string, string | string[]>>;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** A parsed `Authorization: AWS4-HMAC-SHA256 ...` header. */
export interface ParsedAuthorization {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** Secret material a signature is checked against. */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const AUTH_RE =
  /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/;

/** Parses a SigV4 Authorization header; throws IncompleteSignatureException (403) when malformed. */
export function parseAuthorization(header: string): ParsedAuthorization {
  const m = AUTH_RE.exec(header.trim());
  const scope = m?.[1]?.split('/');
  if (!m || !scope || scope.length !== 5 || scope[4] !== 'aws4_request') {
    throw new BedrockException(
      'IncompleteSignatureException',
      `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters in the form AWS4-HMAC-SHA256 Credential=.../aws4_request, SignedHeaders=..., Signature=... Authorization=${header}`,
      403,
    );
  }
  const [accessKeyId, date, region, service] = scope as [string, string, string, string, string];
  return {
    accessKeyId,
    date,
    region,
    service,
    signedHeaders: (m[2] ?? '').split(';'),
    signature: m[3] ?? '',
  };
}

/** Parses `yyyymmddThhmmssZ` into epoch ms; NaN when malformed. */
export function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** Formats epoch ms as `yyyymmddThhmmssZ`. */
export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * Computes the SigV4 signature of `request` as the client would have: only `signedHeaders` are signed,
 * the date is `x-amz-date`, and the path is URI-encoded again when `uriEscapePath` (every service but S3;
 * Bedrock's `%3A` becomes `%253A` in the canonical URI).
 */
export async function computeSignature(input: {
  request: SignableRequest;
  signedHeaders: readonly string[];
  credentials: SigningCredentials;
  region: string;
  service: string;
  uriEscapePath: boolean;
}): Promise<string> {
  const { request, signedHeaders, credentials, region, service } = input;
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const amzDate = request.headers['x-amz-date'] ?? '';
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      // Only re-add the token header when the client signed it, so the signed header set stays the client's.
      ...(signedHeaders.includes('x-amz-security-token') && credentials.sessionToken
        ? { sessionToken: credentials.sessionToken }
        : {}),
    },
    region,
    service,
    sha256: NodeSha256,
    uriEscapePath: input.uriEscapePath,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'https:',
      hostname: headers.host ?? 'localhost',
      path: request.path,
      query: { ...request.query },
      headers,
      body: request.body,
    },
    { signingDate: new Date(parseAmzDate(amzDate)), signableHeaders: new Set(signedHeaders) },
  );
  const auth = signed.headers.authorization ?? signed.headers.Authorization ?? '';
  return /Signature=([0-9a-f]{64})/.exec(auth)?.[1] ?? '';
}

/** Constant-time comparison of two hex signatures. */
export function signaturesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The message AWS sends when a recomputed signature differs. */
export const SIGNATURE_MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * Verifies a presigned SigV4 query URL (the payload of a short-term Bedrock API key, bedrock-wire.md
 * §9.2): the query's signature must match a re-presign of `POST https://<host>/?Action=...` with the same
 * date, expiry and credentials.
 */
export async function computePresignedSignature(input: {
  host: string;
  query: Readonly<Record<string, string>>;
  credentials: SigningCredentials;
  region: string;
  service: string;
  signingDate: Date;
  expiresIn: number;
}): Promise<string> {
  const unsigned: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.query)) {
    if (!k.startsWith('X-Amz-') && k !== 'Version') unsigned[k] = v;
  }
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: input.credentials.accessKeyId,
      secretAccessKey: input.credentials.secretAccessKey,
      ...(input.credentials.sessionToken ? { sessionToken: input.credentials.sessionToken } : {}),
    },
    region: input.region,
    service: input.service,
    sha256: NodeSha256,
  });
  const presigned = await signer.presign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: input.host,
      path: '/',
      query: unsigned,
      headers: { host: input.host },
    },
    { signingDate: input.signingDate, expiresIn: input.expiresIn },
  );
  const sig = presigned.query?.['X-Amz-Signature'];
  return typeof sig === 'string' ? sig : '';
}
