/**
 * Bedrock batch inference: record lines of input and output files, the job as GetModelInvocationJob
 * reports it, and `manifest.json.out` (bedrock-wire.md §7). Types only.
 */
import type { JsonObject, JsonValue } from '../json.js';

/** One input line: `modelInput` is an InvokeModel body, or a Converse request body for Converse jobs. */
export interface BatchInputRecord {
  recordId: string;
  modelInput: JsonObject;
}

/** One line of `X.jsonl.out`: the input echoed with either the model's output or an error. */
export interface BatchOutputRecord {
  recordId?: string;
  modelInput?: JsonValue;
  modelOutput?: JsonValue;
  error?: { errorCode?: number | string; errorMessage?: string };
}

export type InvocationJobStatus =
  | 'Submitted'
  | 'Validating'
  | 'Scheduled'
  | 'InProgress'
  | 'Completed'
  | 'PartiallyCompleted'
  | 'Failed'
  | 'Stopping'
  | 'Stopped'
  | 'Expired';

/** The members of a job (Get or List summary) the gateway reads; times are Date as the AWS SDK parses them. */
export interface InvocationJobView {
  jobArn: string;
  jobName?: string;
  modelId?: string;
  status?: InvocationJobStatus | string;
  message?: string;
  submitTime?: Date;
  lastModifiedTime?: Date;
  endTime?: Date;
  jobExpirationTime?: Date;
  inputS3Uri?: string;
  outputS3Uri?: string;
  totalRecordCount?: number;
  processedRecordCount?: number;
  successRecordCount?: number;
  errorRecordCount?: number;
}

/** `manifest.json.out`, written next to the output files when a job ends. */
export interface BatchManifest {
  totalRecordCount?: number;
  processedRecordCount?: number;
  successRecordCount?: number;
  errorRecordCount?: number;
  inputTokenCount?: number;
  outputTokenCount?: number;
}
