/**
 * Secret redaction for every log line, applied by the logger itself (see logger.ts) so that no log call,
 * present or future, ours or a library's, can write a credential: caller api keys, AWS secret keys and
 * session tokens, Bedrock API keys, cookies.
 *
 * Two nets. Keys named like secrets (authorization, x-api-key, secretAccessKey, sessionToken, cookie,
 * password, ...) are censored wherever they appear in a logged object. Strings are scrubbed of shapes
 * that carry a secret whatever the key: `Bearer <token>`, `key=value` pairs and query parameters named
 * like secrets, `sk-...` keys, and STS's `<SecretAccessKey>` XML.
 */

export const REDACTED = '[Redacted]';

/** Deepest level of a logged object that is walked; deeper values are replaced (log objects are shallow). */
const MAX_DEPTH = 10;
/** Most values walked in one log line; the rest are replaced (a bound on the cost of a huge object). */
const MAX_NODES = 5000;

/**
 * Normalised (lower case, letters and digits only) fragments that make a key secret wherever they appear:
 * `x-amz-security-token` → `xamzsecuritytoken` contains `securitytoken`.
 */
const SECRET_KEY_FRAGMENTS = [
  'authorization',
  'cookie',
  'password',
  'passwd',
  'passphrase',
  'secret',
  'apikey',
  'credential',
  'privatekey',
  'signature',
  'sessiontoken',
  'securitytoken',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'bearer',
];

/**
 * Whether a key names a secret: one of the fragments, or a key ending in `token` (not `tokens`: counts);
 * not a key that names or references one (`secretName`, `secretRef`).
 */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  // Names of and references to secrets (`secretName`, `secretRef`) are what operators need to see.
  if (k.endsWith('name') || k.endsWith('ref') || k.endsWith('namespace')) return false;
  if (k.endsWith('token')) return true;
  for (const fragment of SECRET_KEY_FRAGMENTS) if (k.includes(fragment)) return true;
  return false;
}

// `Authorization: Bearer abc`, `Basic dXNlcjpw`: the scheme stays, the credential goes.
const AUTH_SCHEME_RE =
  /\b(Bearer|Basic|Digest|AWS4-HMAC-SHA256)\s+[^\s"',;]+(?:,\s*SignedHeaders=[^\s"',]+)?(?:,\s*Signature=[0-9a-f]+)?/gi;
// secretAccessKey=..., "password": "...", api_key: ..., X-Amz-Security-Token=... (also as query parameters).
// Only values shaped like credentials count: 8+ characters with a digit or one of `/+=_-.`, or 20+ characters.
// Plain words are the rest of a message (`apiKey: must be base64`, `secretRef: references Secret x`).
const KEY_VALUE_RE =
  /((?:[\w-]*secret[\w-]*|password|passwd|api[-_]?key|x-api-key|authorization|cookie|set-cookie|[\w-]*(?:session|security|access|refresh|auth|id)[-_]?token|token|x-amz-signature|x-amz-credential)\\?["']?\s*[:=]\s*\\?["']?)(?!\[Redacted\])([^\s"'\\,;&<>})]{8,})/gi;
// STS and other AWS XML answers.
const XML_SECRET_RE = /(<(SecretAccessKey|SessionToken|Token|Password)>)[^<]*(<\/\2>)/gi;
// OpenAI-style keys, which callers often reuse as gateway api keys.
const SK_RE = /\bsk-[A-Za-z0-9_-]{8,}/g;

function looksLikeCredential(value: string): boolean {
  return value.length >= 20 || /[\d/+=_.-]/.test(value);
}

/** A string with secret-shaped parts replaced by {@link REDACTED}. */
export function scrubSecretText(text: string): string {
  // Cheap pre-check: most log strings hold none of the markers.
  if (!/bearer|basic|digest|aws4|secret|passw|key|token|auth|cookie|sk-|signature|credential/i.test(text)) return text;
  return text
    .replace(AUTH_SCHEME_RE, `$1 ${REDACTED}`)
    .replace(XML_SECRET_RE, `$1${REDACTED}$3`)
    .replace(KEY_VALUE_RE, (match, key: string, value: string) => (looksLikeCredential(value) ? key + REDACTED : match))
    .replace(SK_RE, REDACTED);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isEmitterLike(value: object): boolean {
  const v = value as { on?: unknown; emit?: unknown };
  return typeof v.on === 'function' && typeof v.emit === 'function';
}

/** An Error as plain data (pino's err shape: type, message, stack, own fields, cause), to be walked. */
function errorAsObject(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { type: err.constructor?.name ?? 'Error', message: err.message };
  if (err.stack) out.stack = err.stack;
  for (const key of Object.keys(err)) if (!(key in out)) out[key] = (err as unknown as Record<string, unknown>)[key];
  if (err.cause !== undefined) out.cause = err.cause;
  if (err instanceof AggregateError) out.errors = err.errors;
  return out;
}

/**
 * A copy of `value` safe to log: keys named like secrets censored (unless their value is a boolean,
 * number or null, which cannot be a credential), strings scrubbed, Errors turned into plain data,
 * Buffers and streams summarised, cycles cut. The input is never modified.
 *
 * `keep` names top-level keys left as they are because a serializer reduces them to safe fields
 * (fastify's request and reply objects).
 */
export function redactSecrets(value: unknown, keep: ReadonlySet<string> = new Set()): unknown {
  const seen = new WeakSet<object>();
  let nodes = 0;
  const walk = (v: unknown, depth: number, key: string | undefined): unknown => {
    nodes++;
    if (key !== undefined && isSecretKey(key) && v !== null && typeof v !== 'boolean' && typeof v !== 'number')
      return v === undefined ? v : REDACTED;
    if (typeof v === 'string') return scrubSecretText(v);
    if (typeof v !== 'object' || v === null) return v;
    if (depth >= MAX_DEPTH || nodes > MAX_NODES) return '[Truncated]';
    if (seen.has(v)) return '[Circular]';
    seen.add(v);
    if (ArrayBuffer.isView(v)) return `[${v.constructor.name} ${v.byteLength} bytes]`;
    if (v instanceof Error) return walkObject(errorAsObject(v), depth);
    if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1, undefined));
    if (v instanceof Date) return v;
    if (!isPlainObject(v) && isEmitterLike(v)) return `[${v.constructor?.name ?? 'Object'}]`;
    if (v instanceof Map) return walkObject(Object.fromEntries(v), depth);
    if (v instanceof Set) return [...v].map((item) => walk(item, depth + 1, undefined));
    return walkObject(v as Record<string, unknown>, depth);
  };
  const walkObject = (o: Record<string, unknown>, depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o)) out[k] = walk(o[k], depth + 1, k);
    return out;
  };
  if (typeof value !== 'object' || value === null) return walk(value, 0, undefined);
  if (value instanceof Error || Array.isArray(value)) return walk(value, -1, undefined);
  // Top level: walked key by key so `keep` applies to its own keys only.
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[k];
    out[k] = keep.has(k) && typeof child === 'object' && child !== null ? child : walk(child, 0, k);
  }
  return out;
}
