/**
 * Batch inference (bedrock-wire.md §7): the control-plane routes, the job service and runner, and the
 * admin endpoints that tune and fault it.
 */

export { handleBatchAdmin, parseBatchFaults, parseBatchSettings, splitFaults } from './admin.js';
export { BATCH_MODELS } from './models.js';
export { BATCH_ROUTES } from './routes.js';
export { type BatchFault, BatchService } from './service.js';
export { type BatchStorage, builtinStorage, externalStorage, parseS3Uri } from './storage.js';
export type { Job, JobStatus } from './types.js';
export { PATTERNS, parseCreateJobInput, parseListJobsInput } from './validate.js';
