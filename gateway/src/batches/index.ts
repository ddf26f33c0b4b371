/**
 * The Batch API's logic apart from HTTP: input conversion, the Bedrock control plane, the S3 layout of a
 * batch, the ordered output join and the service that ties them together.
 */
export {
  BatchControlPlane,
  type ControlPlaneCredentials,
  type CreateJobInput,
  controlPlaneError,
} from './control-plane.js';
export { type ConvertOptions, type ConvertSinks, convertBatchLines } from './convert.js';
export { BATCH_DEFAULTS, type BatchOptions, resolveBatchOptions } from './defaults.js';
export { type BatchRef, decodeBatchId, encodeBatchId, jobIdOfArn } from './ids.js';
export { BATCHES_DIR, batchKeys, folderOfInputUri } from './layout.js';
export { type StreamLine, streamLines } from './lines.js';
export { type JoinOptions, type JoinSources, joinBatchOutput } from './output.js';
export {
  BatchService,
  type BatchServiceDeps,
  batchFileRef,
  type CreateBatchRequest,
  ERROR_FILE_KIND,
  JOB_NAME_RE,
  type LoadedBatch,
  OUTPUT_FILE_KIND,
  parseBatchFileRef,
} from './service.js';
export { UploadSink } from './sink.js';
