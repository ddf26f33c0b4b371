/**
 * Where uploaded files live in an account's bucket, and what their keys say about them.
 *
 * `{prefix}files/{13-digit inverted ms}{8 random}.{owner tag}/{encoded file name}`
 *
 * - The inverted timestamp makes S3's key order (ListObjectsV2 is always ascending) newest first, which is
 *   OpenAI's default list order, so `GET /v1/files` pages with `StartAfter` and never sorts.
 * - The owner tag (a hash of the uploader's subject) lets a list skip other users' files without a
 *   HeadObject per key; the full subject is also in the object's metadata, which retrieve checks.
 * - The file name is in the key so listings need no HeadObject for it either.
 */
import { createHash, randomBytes } from 'node:crypto';

export const FILES_DIR = 'files/';
/** Greater than any ms timestamp until the year 2286. */
const MAX_MS = 9_999_999_999_999;
const KEY_RE = /^(\d{13})([a-z0-9]{8})\.([0-9a-f]{16})\/(.+)$/;

/** Object metadata names (S3 sends them as `x-amz-meta-*`; values are ASCII, so text is URI-encoded). */
export const META = {
  owner: 'aigw-owner',
  purpose: 'aigw-purpose',
  filename: 'aigw-filename',
} as const;

/** What a file key says. */
export interface FileKeyInfo {
  readonly createdMs: number;
  readonly ownerTag: string;
  readonly filename: string;
}

/** The owner tag of a subject: 16 hex characters of its SHA-256. */
export function ownerTag(subject: string): string {
  return createHash('sha256').update(subject, 'utf8').digest('hex').slice(0, 16);
}

/** A new key (relative to the account prefix) for a file uploaded now by `subject`. */
export function newFileKey(subject: string, filename: string, nowMs = Date.now()): string {
  const inverted = String(MAX_MS - nowMs).padStart(13, '0');
  const random = randomBytes(8)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')
    .slice(0, 8);
  return `${FILES_DIR}${inverted}${random}.${ownerTag(subject)}/${encodeURIComponent(filename)}`;
}

/** Parses a key relative to the account prefix; undefined for keys the Files API did not write. */
export function parseFileKey(relative: string): FileKeyInfo | undefined {
  if (!relative.startsWith(FILES_DIR)) return undefined;
  const match = KEY_RE.exec(relative.slice(FILES_DIR.length));
  if (!match) return undefined;
  let filename: string;
  try {
    filename = decodeURIComponent(match[4]!);
  } catch {
    return undefined;
  }
  return { createdMs: MAX_MS - Number(match[1]), ownerTag: match[3]!, filename };
}

/** Decodes a URI-encoded metadata value; undefined when absent or malformed. */
export function decodeMeta(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
