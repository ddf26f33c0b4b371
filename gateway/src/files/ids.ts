/**
 * File ids. The gateway keeps no state of its own (S3 is the state), so an id carries everything any
 * replica needs to serve it: `file-` + base64url of `[kind, account, key or ref]`. Opaque to callers,
 * URL-safe, and stable across restarts. Raw `s3://bucket/key` URIs are accepted too (URL-encoded or not).
 */

/** What an id names: an S3 object of an account, or a virtual file served by a registered provider. */
export type FileRef =
  | { readonly kind: 'stored'; readonly account: string; readonly key: string }
  | { readonly kind: string; readonly account: string; readonly ref: string };

/** A raw S3 URI given as an id. */
export interface S3UriRef {
  readonly kind: 's3uri';
  readonly bucket: string;
  readonly key: string;
}

export const FILE_ID_PREFIX = 'file-';
/** Longest id accepted (S3 keys are at most 1,024 bytes; base64 adds a third). */
const MAX_ID_LENGTH = 2048;
const KIND_RE = /^[a-z][a-z0-9_]{0,31}$/;

/** The id of a file reference. */
export function encodeFileId(ref: FileRef): string {
  const last = 'key' in ref ? ref.key : ref.ref;
  return FILE_ID_PREFIX + Buffer.from(JSON.stringify([ref.kind, ref.account, last]), 'utf8').toString('base64url');
}

/** Whether `ref` names an S3 object (as opposed to a virtual file). */
export function isStoredRef(ref: FileRef): ref is { kind: 'stored'; account: string; key: string } {
  return ref.kind === 'stored';
}

/**
 * Decodes an id the gateway issued, or a raw `s3://bucket/key` URI (URL-encoded or not). Undefined for
 * anything else (the caller answers 404, as OpenAI does for unknown ids).
 */
export function decodeFileId(id: string): FileRef | S3UriRef | undefined {
  if (id.length === 0 || id.length > MAX_ID_LENGTH) return undefined;
  if (id.startsWith(FILE_ID_PREFIX)) {
    const payload = id.slice(FILE_ID_PREFIX.length);
    if (!/^[A-Za-z0-9_-]+$/.test(payload)) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
    const [kind, account, last] = parsed as unknown[];
    if (typeof kind !== 'string' || typeof account !== 'string' || typeof last !== 'string') return undefined;
    if (!KIND_RE.test(kind) || account === '' || last === '' || kind === 's3uri') return undefined;
    return kind === 'stored' ? { kind, account, key: last } : { kind, account, ref: last };
  }
  return parseS3Uri(id);
}

/** `s3://bucket/key`, also percent-encoded (`s3%3A%2F%2Fbucket%2Fkey`). */
export function parseS3Uri(text: string): S3UriRef | undefined {
  let uri = text;
  if (/^s3%3a/i.test(uri)) {
    try {
      uri = decodeURIComponent(uri);
    } catch {
      return undefined;
    }
  }
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
  if (!match) return undefined;
  const key = match[2]!;
  if (Buffer.byteLength(key, 'utf8') > 1024) return undefined;
  return { kind: 's3uri', bucket: match[1]!, key };
}
