/**
 * The emulator's S3: the path-style subset the gateway's files and batch layers use (docs/emulator.md,
 * "S3"), and the object store the batch runner reads and writes when no external S3 is configured.
 */

export { S3_ERRORS, S3Error, type S3ErrorCode } from './errors.js';
export { handleS3, isS3Request, type S3Request } from './handler.js';
export { isValidBucketName, ObjectStore, type StoredObject } from './store.js';
