/**
 * The Files API's logic apart from HTTP: file ids, the key layout in an account's bucket, streaming
 * validation of batch files, the virtual-file registry (batch output and error files) and OpenAI's shapes.
 */
export { BATCH_LINE_URLS, type BatchLineLimits, BatchLineValidator, batchLineError } from './batch-lines.js';
export { FILES_DEFAULTS, type FilesOptions, resolveFilesOptions } from './defaults.js';
export {
  decodeFileId,
  encodeFileId,
  FILE_ID_PREFIX,
  type FileRef,
  isStoredRef,
  parseS3Uri,
  type S3UriRef,
} from './ids.js';
export { decodeMeta, FILES_DIR, type FileKeyInfo, META, newFileKey, ownerTag, parseFileKey } from './keys.js';
export {
  fileNotFound,
  maySeeListed,
  maySeeObject,
  type ResolvedFile,
  resolveFileId,
  storedFileObject,
} from './resolve.js';
export type { FileDeleted, FileList, FileObject, FilePurpose } from './types.js';
export {
  type FileContentProvider,
  fileContentProvider,
  registerFileContentProvider,
  type VirtualFileContent,
  type VirtualFileContext,
  virtualFileId,
} from './virtual.js';
