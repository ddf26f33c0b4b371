/**
 * Front-door authentication of the emulator: SigV4 (long-term IAM user keys and temporary `ASIA` keys)
 * and Bedrock API keys (`Authorization: Bearer`). Failures are the 403s real AWS returns
 * (bedrock-wire.md §8, front-door table).
 */

import { createHash } from 'node:crypto';
import { BedrockException } from './errors.js';
import { KNOWN_REGIONS, MAX_CLOCK_SKEW_MS } from './options.js';
import {
  computePresignedSignature,
  computeSignature,
  formatAmzDate,
  parseAmzDate,
  parseAuthorization,
  SIGNATURE_MISMATCH_MESSAGE,
  type SignableRequest,
  type SigningCredentials,
  signaturesEqual,
} from './sigv4.js';
import type { EmulatorState } from './state.js';

/** Who made a request. */
export interface Principal {
  /** `arn:aws:iam::<acct>:user/<name>` or `arn:aws:sts::<acct>:assumed-role/<role>/<session>`. */
  readonly arn: string;
  readonly accountId: string;
  /** IAM unique id (`AIDA...` for users, `AROA...:<session>` for roles). */
  readonly userId: string;
  readonly via: 'sigv4' | 'api-key';
}

const INVALID_TOKEN = 'The security token included in the request is invalid.';
const EXPIRED_TOKEN = 'The security token included in the request is expired';
const API_KEY_FORMAT = 'Invalid API Key format: Must start with pre-defined prefix';
const API_KEY_INVALID = 'Authentication failed: Please make sure your API Key is valid.';
const SHORT_TERM_PREFIX = 'bedrock-api-key-';
/** Short-term keys are presigned for this host and live at most 12 hours (bedrock-wire.md §9.2). */
const SHORT_TERM_HOST = 'bedrock.amazonaws.com';
const SHORT_TERM_MAX_SECONDS = 12 * 60 * 60;
const LONG_TERM_PREFIX = 'ABSK';

function userPrincipal(state: EmulatorState, name: string, via: Principal['via']): Principal {
  // A user may live in another account than the emulator's default one, so one emulator can stand in for
  // several accounts (each with its own prompt cache).
  const acct = state.identity.users.find((u) => u.name === name)?.accountId ?? state.identity.accountId;
  // A stable fake unique id: IAM user ids start with AIDA.
  const userId = `AIDA${Buffer.from(name).toString('hex').toUpperCase().slice(0, 17).padEnd(17, 'X')}`;
  return { arn: `arn:aws:iam::${acct}:user/${name}`, accountId: acct, userId, via };
}

/** Looks up signing credentials by access key id, enforcing session-token and expiry rules. */
export function resolveCredentials(
  state: EmulatorState,
  accessKeyId: string,
  sessionToken: string | undefined,
): { credentials: SigningCredentials; principal: (via: Principal['via']) => Principal } {
  const user = state.identity.users.find((u) => u.accessKeyId === accessKeyId);
  if (user) {
    // A session token belongs to temporary credentials; AWS refuses one sent with a long-term key (the
    // classic stale AWS_SESSION_TOKEN next to fresh AKIA keys).
    if (sessionToken !== undefined) throw new BedrockException('UnrecognizedClientException', INVALID_TOKEN, 403);
    return { credentials: user, principal: (via) => userPrincipal(state, user.name, via) };
  }
  const temp = state.temporaryCredentials.get(accessKeyId);
  // Temporary keys are only valid with the session token they were issued with.
  if (!temp || sessionToken !== temp.sessionToken) {
    throw new BedrockException('UnrecognizedClientException', INVALID_TOKEN, 403);
  }
  if (state.clock.now() >= temp.expiration) {
    throw new BedrockException('ExpiredTokenException', EXPIRED_TOKEN, 403);
  }
  return {
    credentials: temp,
    principal: (via) => ({ arn: temp.principalArn, accountId: state.identity.accountId, userId: temp.userId, via }),
  };
}

const REGIONAL_HOST_RE =
  /^(?:bedrock-runtime|bedrock|sts)(?:-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com|api\.aws)(?::\d+)?$/;

/**
 * The region an AWS host name names (`bedrock-runtime.eu-west-1.amazonaws.com` → `eu-west-1`; the global
 * `sts.amazonaws.com` → `us-east-1`), for callers that reach the emulator under real AWS host names.
 */
export function regionFromHost(host: string | undefined): string | undefined {
  if (!host) return undefined;
  if (/^sts\.amazonaws\.com(?::\d+)?$/.test(host)) return 'us-east-1';
  return REGIONAL_HOST_RE.exec(host)?.[1];
}

function checkRegion(state: EmulatorState, region: string, host?: string): boolean {
  const hostRegion = regionFromHost(host);
  if (hostRegion !== undefined && region !== hostRegion) return false;
  return state.pinnedRegion ? region === state.pinnedRegion : KNOWN_REGIONS.includes(region);
}

/**
 * Verifies a SigV4-signed request for `service` (`bedrock` for both Bedrock planes, `sts` for STS, `s3`).
 * Bedrock URI-encodes the path again in the canonical request; S3 does not; STS (path `/`) is the same
 * either way.
 */
export async function authenticateSigV4(
  state: EmulatorState,
  request: SignableRequest,
  service: 'bedrock' | 'sts' | 's3',
): Promise<Principal> {
  const header = request.headers.authorization;
  if (!header) {
    throw new BedrockException('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
  }
  const auth = parseAuthorization(header);
  if (auth.service !== service) {
    throw new BedrockException(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${service}'. `,
      403,
    );
  }
  if (!checkRegion(state, auth.region, request.headers.host)) {
    throw new BedrockException('InvalidSignatureException', 'Credential should be scoped to a valid region. ', 403);
  }
  const { credentials, principal } = resolveCredentials(
    state,
    auth.accessKeyId,
    request.headers['x-amz-security-token'],
  );
  const amzDate = request.headers['x-amz-date'] ?? '';
  const signedAt = parseAmzDate(amzDate);
  if (Number.isNaN(signedAt) || !auth.signedHeaders.includes('x-amz-date') || !amzDate.startsWith(auth.date)) {
    throw new BedrockException('InvalidSignatureException', SIGNATURE_MISMATCH_MESSAGE, 403);
  }
  const now = state.clock.now();
  if (signedAt < now - MAX_CLOCK_SKEW_MS) {
    throw new BedrockException(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - MAX_CLOCK_SKEW_MS)} (${formatAmzDate(now)} - 5 min.)`,
      403,
    );
  }
  if (signedAt > now + MAX_CLOCK_SKEW_MS) {
    throw new BedrockException(
      'InvalidSignatureException',
      `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + MAX_CLOCK_SKEW_MS)} (${formatAmzDate(now)} + 5 min.)`,
      403,
    );
  }
  // AWS checks this after the clock skew: the host must be covered by the signature.
  if (!auth.signedHeaders.includes('host') && !auth.signedHeaders.includes(':authority')) {
    throw new BedrockException(
      'InvalidSignatureException',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
      403,
    );
  }
  // A signed `x-amz-content-sha256` stands in for the body in the canonical request, so a body changed
  // after signing would still verify; the service hashes what it received, and a different hash means
  // the signature was not made over this body.
  const declaredHash = request.headers['x-amz-content-sha256'];
  if (
    declaredHash !== undefined &&
    /^[0-9a-fA-F]{64}$/.test(declaredHash) &&
    declaredHash.toLowerCase() !== createHash('sha256').update(request.body).digest('hex')
  ) {
    throw new BedrockException('InvalidSignatureException', SIGNATURE_MISMATCH_MESSAGE, 403);
  }
  const expected = await computeSignature({
    request,
    signedHeaders: auth.signedHeaders,
    credentials,
    region: auth.region,
    service,
    uriEscapePath: service === 'bedrock',
  });
  if (!signaturesEqual(expected, auth.signature)) {
    throw new BedrockException('InvalidSignatureException', SIGNATURE_MISMATCH_MESSAGE, 403);
  }
  return principal('sigv4');
}

function apiKeyError(message: string): BedrockException {
  // Bedrock answers API-key failures with a capitalised `Message` member (observed bodies, §8).
  return new BedrockException('AccessDeniedException', message, 403, { capitalMessage: true });
}

/**
 * Verifies a Bedrock API key: a configured long-term key, or a short-term `bedrock-api-key-` key whose
 * presigned URL verifies against a known identity and has not expired (bedrock-wire.md §9.2).
 */
export async function authenticateApiKey(state: EmulatorState, key: string): Promise<Principal> {
  if (key.startsWith(LONG_TERM_PREFIX)) {
    const found = state.identity.apiKeys.find((k) => k.key === key);
    if (!found) throw apiKeyError(API_KEY_INVALID);
    return userPrincipal(state, found.user, 'api-key');
  }
  if (!key.startsWith(SHORT_TERM_PREFIX)) throw apiKeyError(API_KEY_FORMAT);
  let url: URL;
  try {
    url = new URL(`https://${Buffer.from(key.slice(SHORT_TERM_PREFIX.length), 'base64').toString('utf8')}`);
  } catch {
    throw apiKeyError(API_KEY_INVALID);
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const scope = (query['X-Amz-Credential'] ?? '').split('/');
  const signedAt = parseAmzDate(query['X-Amz-Date'] ?? '');
  const expiresIn = Number(query['X-Amz-Expires']);
  const [accessKeyId, , region, service] = scope;
  if (
    query.Action !== 'CallWithBearerToken' ||
    scope.length !== 5 ||
    service !== 'bedrock' ||
    !accessKeyId ||
    !region ||
    !checkRegion(state, region) ||
    Number.isNaN(signedAt) ||
    !Number.isInteger(expiresIn) ||
    expiresIn <= 0 ||
    expiresIn > SHORT_TERM_MAX_SECONDS ||
    url.host !== SHORT_TERM_HOST
  ) {
    throw apiKeyError(API_KEY_INVALID);
  }
  if (state.clock.now() >= signedAt + expiresIn * 1000) throw apiKeyError(API_KEY_INVALID);
  let resolved: ReturnType<typeof resolveCredentials>;
  try {
    resolved = resolveCredentials(state, accessKeyId, query['X-Amz-Security-Token']);
  } catch {
    throw apiKeyError(API_KEY_INVALID);
  }
  const expected = await computePresignedSignature({
    host: url.host,
    query,
    credentials: resolved.credentials,
    region,
    service: 'bedrock',
    signingDate: new Date(signedAt),
    expiresIn,
  });
  if (!signaturesEqual(expected, query['X-Amz-Signature'] ?? '')) throw apiKeyError(API_KEY_INVALID);
  return resolved.principal('api-key');
}

/**
 * The region an authenticated Bedrock request was made in: its SigV4 scope, a short-term API key's scope,
 * or (long-term API keys carry none) the region of an AWS host name, else the pinned region, else
 * us-east-1. Call it only after {@link authenticateBedrock} accepted the request.
 */
export function requestRegion(state: EmulatorState, request: SignableRequest): string {
  const header = request.headers.authorization ?? '';
  const fallback = regionFromHost(request.headers.host) ?? state.pinnedRegion ?? 'us-east-1';
  if (/^Bearer\s/i.test(header)) {
    const key = header.replace(/^Bearer\s+/i, '').trim();
    if (!key.startsWith(SHORT_TERM_PREFIX)) return fallback;
    try {
      const url = new URL(`https://${Buffer.from(key.slice(SHORT_TERM_PREFIX.length), 'base64').toString('utf8')}`);
      return (url.searchParams.get('X-Amz-Credential') ?? '').split('/')[2] || fallback;
    } catch {
      return fallback;
    }
  }
  try {
    return parseAuthorization(header).region;
  } catch {
    return fallback;
  }
}

/** Authenticates a Bedrock (runtime or control plane) request: bearer API key or SigV4. */
export async function authenticateBedrock(state: EmulatorState, request: SignableRequest): Promise<Principal> {
  const header = request.headers.authorization ?? '';
  if (/^Bearer\s/i.test(header)) return authenticateApiKey(state, header.replace(/^Bearer\s+/i, '').trim());
  return authenticateSigV4(state, request, 'bedrock');
}
