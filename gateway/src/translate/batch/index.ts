export {
  type BatchOutputContext,
  type ConvertedRecord,
  fromBatchOutputRecord,
  type MissingRecordReason,
  missingRecordLine,
  type RecordUsage,
} from './from-records.js';
export { type BatchMapEntry, indexOfRecordId, MAX_RECORD_INDEX, recordIdOf } from './records.js';
export {
  type BatchDescriptor,
  type BatchView,
  isFinalBatchStatus,
  toBatchStatus,
  toOpenAIBatch,
} from './status.js';
export {
  BATCH_ENDPOINTS,
  type BatchTranslationContext,
  lineError,
  MAX_CUSTOM_ID_LENGTH,
  modelOfBatchLine,
  parseBatchInputLine,
  type TranslatedBatchLine,
  toBatchRecord,
} from './to-records.js';
