/**
 * S3 storage of accounts' `batch` blocks, shared by the Files and Batch APIs: one store (S3 client,
 * bucket, prefix) per account built once per config snapshot, account resolution and authorisation.
 */
export {
  AccountStorage,
  type AccountStorageOptions,
  type AuthLookup,
  credentialProviderOf,
} from './account-storage.js';
export { resolveStorageOptions, STORAGE_DEFAULTS, type StorageOptions } from './defaults.js';
export {
  ACCOUNT_HEADER,
  isManager,
  maySee,
  resolveStorageAccount,
  type StorageAccount,
  storageAccountByName,
} from './resolve-account.js';
export { createS3Client, type S3CredentialProvider } from './s3-client.js';
export { StorageError, s3Error, s3ErrorName, s3ErrorStatus } from './s3-errors.js';
export {
  type ListPage,
  type ObjectInfo,
  type ObjectStream,
  type PutOptions,
  S3Store,
  type S3StoreSettings,
} from './s3-store.js';
