/**
 * Bedrock batch job (GetModelInvocationJob / a List summary) + the gateway's batch descriptor + the job's
 * manifest → OpenAI's Batch object (openai-to-bedrock.md §6.3). Pure and synchronous; every member is
 * present, null where Bedrock does not say.
 */
import type { BatchManifest, InvocationJobView } from '../../wire/bedrock/index.js';
import type { Batch, BatchEndpoint, BatchStatus } from '../../wire/openai/index.js';

/**
 * What the gateway records about a batch when it creates the job (stored next to the records; S3 and
 * Bedrock are the only state, so any replica can rebuild the Batch from it).
 */
export interface BatchDescriptor {
  version: 1;
  endpoint: BatchEndpoint;
  input_file_id: string;
  completion_window: '24h';
  metadata: Record<string, string> | null;
  /** Served model name (`<account>/<model>`). */
  model: string;
  /** Subject of the caller that created the batch (ownership for `User` collaborators). */
  subject: string;
  /** Unix seconds. */
  created_at: number;
  /** Requests (lines) in the batch; one record each. */
  request_count: number;
}

/** Bedrock job status → OpenAI batch status; unknown future values read as in progress. */
export function toBatchStatus(status: string | undefined): BatchStatus {
  switch (status) {
    case 'Submitted':
    case 'Validating':
      return 'validating';
    case 'Scheduled':
    case 'InProgress':
      return 'in_progress';
    case 'Completed':
    case 'PartiallyCompleted':
      return 'completed';
    case 'Failed':
      return 'failed';
    case 'Expired':
      return 'expired';
    case 'Stopping':
      return 'cancelling';
    case 'Stopped':
      return 'cancelled';
    default:
      return status === undefined ? 'validating' : 'in_progress';
  }
}

/** Whether OpenAI's status is final (the job will not change again). */
export function isFinalBatchStatus(status: BatchStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'expired' || status === 'cancelled';
}

const seconds = (d: Date | undefined): number | null =>
  d instanceof Date && !Number.isNaN(d.getTime()) ? Math.floor(d.getTime() / 1000) : null;

/** Everything {@link toOpenAIBatch} reads. */
export interface BatchView {
  id: string;
  job: InvocationJobView;
  descriptor: BatchDescriptor;
  /** `manifest.json.out`, once the job wrote it. */
  manifest?: BatchManifest | undefined;
  /** The ids the output and error files have (served only when the batch has such lines). */
  outputFileId: string;
  errorFileId: string;
}

/**
 * Builds the Batch. Counts are the job's record counters (one record per line), or the manifest's when
 * the job has ended; in a final state every request that did not succeed counts as failed, because the
 * error file lists each of them (Bedrock's own errors, and the records an expired, stopped or failed
 * job never ran). Timestamps Bedrock does not report (it has no "started" time) are null.
 */
export function toOpenAIBatch(view: BatchView): Batch {
  const { job, descriptor, manifest } = view;
  const status = toBatchStatus(job.status);
  const final = isFinalBatchStatus(status);
  const total = descriptor.request_count;
  const completed = Math.min(total, manifest?.successRecordCount ?? job.successRecordCount ?? 0);
  const errored = manifest?.errorRecordCount ?? job.errorRecordCount ?? 0;
  const failed = final ? total - completed : Math.min(total - completed, errored);
  const end = seconds(job.endTime) ?? (final ? seconds(job.lastModifiedTime) : null);
  const modified = seconds(job.lastModifiedTime);
  const created = descriptor.created_at;
  const input = manifest?.inputTokenCount ?? 0;
  const output = manifest?.outputTokenCount ?? 0;
  const jobFailed = status === 'failed';
  return {
    id: view.id,
    object: 'batch',
    endpoint: descriptor.endpoint,
    model: descriptor.model,
    errors: jobFailed
      ? {
          object: 'list',
          data: [
            {
              code: 'batch_failed',
              message:
                job.message && job.message.length > 0 ? job.message : 'Bedrock reported that the batch job failed.',
              param: null,
              line: null,
            },
          ],
        }
      : null,
    input_file_id: descriptor.input_file_id,
    completion_window: descriptor.completion_window,
    status,
    output_file_id: final && completed > 0 ? view.outputFileId : null,
    error_file_id: final && failed > 0 && !(jobFailed && completed === 0) ? view.errorFileId : null,
    created_at: created,
    in_progress_at: status === 'in_progress' && job.status === 'InProgress' ? modified : null,
    expires_at: seconds(job.jobExpirationTime) ?? created + 24 * 3600,
    finalizing_at: status === 'completed' ? end : null,
    completed_at: status === 'completed' ? end : null,
    failed_at: jobFailed ? end : null,
    expired_at: status === 'expired' ? end : null,
    cancelling_at: status === 'cancelling' ? modified : null,
    cancelled_at: status === 'cancelled' ? end : null,
    request_counts: { total, completed, failed },
    usage: {
      input_tokens: input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: input + output,
    },
    metadata: descriptor.metadata,
  };
}
