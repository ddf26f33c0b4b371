/**
 * Virtual files: ids that name content another module produces on demand rather than an uploaded S3
 * object — the output and error files of a batch (converted from Bedrock's `.jsonl.out` records when
 * read). A module registers a provider for its id kind; `GET /v1/files/{id}`, `.../content` and `DELETE`
 * dispatch to it.
 */
import type { Readable } from 'node:stream';
import type { S3Store, StorageAccount } from '../storage/index.js';
import { encodeFileId } from './ids.js';
import type { FileObject } from './types.js';

/** What a provider gets for one request. */
export interface VirtualFileContext {
  /** The account named by the id, already authorised for the caller (who may still not own the file). */
  readonly sa: StorageAccount;
  readonly store: S3Store;
  /** Aborted when the caller goes away. */
  readonly signal: AbortSignal;
}

/** Content of a virtual file. Without `contentLength` the response is chunked. */
export interface VirtualFileContent {
  readonly body: Readable;
  readonly contentType?: string;
  readonly contentLength?: number;
}

/** Serves the virtual files of one id kind. */
export interface FileContentProvider {
  /** The id kind, `[a-z][a-z0-9_]*`, e.g. `batch_output`; `stored` and `s3uri` are reserved. */
  readonly kind: string;
  /** The FileObject; undefined answers 404 (also when the caller may not see it). */
  describe(ref: string, ctx: VirtualFileContext): Promise<FileObject | undefined>;
  /** The content; undefined answers 404. */
  open(ref: string, ctx: VirtualFileContext): Promise<VirtualFileContent | undefined>;
  /** Deletes the file; false answers 404. Absent: such files cannot be deleted on their own (400). */
  delete?(ref: string, ctx: VirtualFileContext): Promise<boolean>;
}

const providers = new Map<string, FileContentProvider>();

/** Registers (or replaces) the provider of a kind. Call from a route module's `register()`. */
export function registerFileContentProvider(provider: FileContentProvider): void {
  if (!/^[a-z][a-z0-9_]{0,31}$/.test(provider.kind) || provider.kind === 'stored' || provider.kind === 's3uri')
    throw new TypeError(`invalid virtual file kind '${provider.kind}'`);
  providers.set(provider.kind, provider);
}

/** The provider of a kind, if one is registered. */
export function fileContentProvider(kind: string): FileContentProvider | undefined {
  return providers.get(kind);
}

/** The id of a virtual file (`ref` is the provider's own reference; keep it short, it is in the id). */
export function virtualFileId(kind: string, account: string, ref: string): string {
  return encodeFileId({ kind, account, ref });
}
