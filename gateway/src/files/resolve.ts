/**
 * From a file id in a request to the account, store and object it names, with the caller's rights
 * checked: unknown ids, objects outside the account's prefix and other users' files are all 404, as
 * OpenAI answers for ids a caller cannot see.
 */
import type { Caller, Snapshot } from '../config/index.js';
import { GatewayError } from '../errors/index.js';
import {
  ACCOUNT_HEADER,
  type AccountStorage,
  maySee,
  type ObjectInfo,
  type S3Store,
  type StorageAccount,
  storageAccountByName,
} from '../storage/index.js';
import { decodeFileId, encodeFileId, type FileRef, type S3UriRef } from './ids.js';
import { decodeMeta, FILES_DIR, META, parseFileKey } from './keys.js';
import type { FileObject } from './types.js';

/** A file id resolved to its account and store. */
export type ResolvedFile =
  | { readonly kind: 'stored'; readonly sa: StorageAccount; readonly store: S3Store; readonly key: string }
  | {
      readonly kind: 'virtual';
      readonly sa: StorageAccount;
      readonly store: S3Store;
      readonly virtualKind: string;
      readonly ref: string;
    };

/** The 404 of an id the caller cannot see (OpenAI's wording). */
export function fileNotFound(id: string): GatewayError {
  const shown = id.length > 200 ? `${id.slice(0, 200)}...` : id;
  return new GatewayError('not_found', `No such File object: ${shown.replace(/[^\x20-\x7e]/g, '?')}`, { param: 'id' });
}

/**
 * Resolves an id: the gateway's own (`file-…`) or a raw `s3://bucket/key` URI of one of the caller's
 * accounts (the `x-aigateway-account` header picks when several accounts share the bucket).
 *
 * @throws GatewayError 404 for ids that name nothing the caller may reach; the account errors of
 *   storageAccountByName (403, 400) for an account the id names but the caller cannot use.
 */
export function resolveFileId(
  snapshot: Snapshot,
  caller: Caller,
  storage: AccountStorage,
  id: string,
  header: unknown,
): ResolvedFile {
  const decoded = decodeFileId(id);
  if (!decoded) throw fileNotFound(id);
  if (decoded.kind === 's3uri') return resolveS3Uri(snapshot, caller, storage, decoded as S3UriRef, header, id);
  const ref = decoded as FileRef;
  if (!caller.accounts.has(ref.account) || !snapshot.accounts.has(ref.account)) throw fileNotFound(id);
  const sa = storageAccountByName(snapshot, caller, ref.account);
  const store = storage.storeFor(sa.account, sa.credentials);
  if ('key' in ref) {
    // Only the Files API's own objects of this account: a forged id cannot reach other keys of the bucket.
    if (!ref.key.startsWith(store.key(FILES_DIR))) throw fileNotFound(id);
    return { kind: 'stored', sa, store, key: ref.key };
  }
  return { kind: 'virtual', sa, store, virtualKind: ref.kind, ref: ref.ref };
}

function resolveS3Uri(
  snapshot: Snapshot,
  caller: Caller,
  storage: AccountStorage,
  uri: S3UriRef,
  header: unknown,
  id: string,
): ResolvedFile {
  const named = typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
  const candidates = [...caller.accounts]
    .map((name) => snapshot.accounts.get(name))
    .filter(
      (a) =>
        a !== undefined &&
        a.auth.type !== 'apiKey' &&
        a.batch?.s3Bucket === uri.bucket &&
        uri.key.startsWith(a.batch.s3Prefix ?? '') &&
        (named === undefined || a.name === named),
    );
  if (candidates.length === 0) throw fileNotFound(id);
  // The account with the most specific prefix owns the key; equal prefixes need the header.
  const longest = Math.max(...candidates.map((a) => (a!.batch!.s3Prefix ?? '').length));
  const best = candidates.filter((a) => (a!.batch!.s3Prefix ?? '').length === longest);
  if (best.length > 1)
    throw new GatewayError(
      'invalid_request',
      `The bucket '${uri.bucket}' holds files of several of your accounts (${best.map((a) => a!.name).join(', ')}); choose one with the header '${ACCOUNT_HEADER}: <account>'.`,
      { param: ACCOUNT_HEADER },
    );
  const sa = storageAccountByName(snapshot, caller, best[0]!.name);
  return { kind: 'stored', sa, store: storage.storeFor(sa.account, sa.credentials), key: uri.key };
}

/** Whether the caller may see a stored object: its recorded owner, or any as a Manager. */
export function maySeeObject(sa: StorageAccount, info: ObjectInfo): boolean {
  return maySee(sa, decodeMeta(info.metadata[META.owner]));
}

/** Whether a listed key (no metadata) belongs to the caller, judged by the owner tag in the key. */
export function maySeeListed(sa: StorageAccount, relativeKey: string, callerTag: string): boolean {
  const info = parseFileKey(relativeKey);
  if (!info) return false;
  return sa.manager || info.ownerTag === callerTag;
}

/** The FileObject of a stored object, from its key (listings) and, when known, its metadata. */
export function storedFileObject(sa: StorageAccount, store: S3Store, info: ObjectInfo): FileObject {
  const relative = info.key.startsWith(store.prefix) ? info.key.slice(store.prefix.length) : info.key;
  const parsed = parseFileKey(relative);
  const filename =
    decodeMeta(info.metadata[META.filename]) ?? parsed?.filename ?? info.key.slice(info.key.lastIndexOf('/') + 1);
  const createdMs = parsed?.createdMs ?? info.lastModified.getTime();
  return {
    id: encodeFileId({ kind: 'stored', account: sa.account.name, key: info.key }),
    object: 'file',
    bytes: info.size,
    created_at: Math.floor(createdMs / 1000),
    expires_at: null,
    filename,
    purpose: decodeMeta(info.metadata[META.purpose]) ?? 'batch',
    status: 'processed',
    status_details: null,
  };
}
