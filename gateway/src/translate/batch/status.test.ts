import { describe, expect, it } from 'vitest';
import type { InvocationJobView } from '../../wire/bedrock/index.js';
import { type BatchDescriptor, toBatchStatus, toOpenAIBatch } from './status.js';

const descriptor: BatchDescriptor = {
  version: 1,
  endpoint: '/v1/chat/completions',
  input_file_id: 'file-abc',
  completion_window: '24h',
  metadata: { team: 'ml' },
  model: 'prod/claude',
  subject: 'user:a@example.com',
  created_at: 1_000,
  request_count: 100,
};
const t = (s: number) => new Date(s * 1000);

function batch(job: Partial<InvocationJobView>, manifest?: object) {
  return toOpenAIBatch({
    id: 'batch_x',
    job: { jobArn: 'arn', submitTime: t(1_000), jobExpirationTime: t(87_400), ...job },
    descriptor,
    manifest,
    outputFileId: 'file-out',
    errorFileId: 'file-err',
  });
}

describe('Bedrock job status → OpenAI batch status', () => {
  it.each([
    ['Submitted', 'validating'],
    ['Validating', 'validating'],
    ['Scheduled', 'in_progress'],
    ['InProgress', 'in_progress'],
    ['Completed', 'completed'],
    ['PartiallyCompleted', 'completed'],
    ['Failed', 'failed'],
    ['Expired', 'expired'],
    ['Stopping', 'cancelling'],
    ['Stopped', 'cancelled'],
  ])('%s → %s', (bedrock, openai) => expect(toBatchStatus(bedrock)).toBe(openai));
});

describe('toOpenAIBatch', () => {
  it('a new job: validating, every member present, no files, zero usage', () => {
    const b = batch({ status: 'Submitted' });
    expect(b).toEqual({
      id: 'batch_x',
      object: 'batch',
      endpoint: '/v1/chat/completions',
      model: 'prod/claude',
      errors: null,
      input_file_id: 'file-abc',
      completion_window: '24h',
      status: 'validating',
      output_file_id: null,
      error_file_id: null,
      created_at: 1_000,
      in_progress_at: null,
      expires_at: 87_400,
      finalizing_at: null,
      completed_at: null,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: 100, completed: 0, failed: 0 },
      usage: {
        input_tokens: 0,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 0,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 0,
      },
      metadata: { team: 'ml' },
    });
  });

  it('in progress: counters as Bedrock reports them, started at the last status change', () => {
    const b = batch({ status: 'InProgress', lastModifiedTime: t(1_100), successRecordCount: 40, errorRecordCount: 2 });
    expect(b.in_progress_at).toBe(1_100);
    expect(b.request_counts).toEqual({ total: 100, completed: 40, failed: 2 });
    expect(b.output_file_id).toBeNull();
  });

  it('partially completed: completed with both files, counts and usage from the manifest', () => {
    const b = batch(
      { status: 'PartiallyCompleted', endTime: t(2_000), successRecordCount: 1, errorRecordCount: 1 },
      { successRecordCount: 97, errorRecordCount: 3, inputTokenCount: 1200, outputTokenCount: 300 },
    );
    expect(b).toMatchObject({
      status: 'completed',
      completed_at: 2_000,
      finalizing_at: 2_000,
      output_file_id: 'file-out',
      error_file_id: 'file-err',
      request_counts: { total: 100, completed: 97, failed: 3 },
      usage: { input_tokens: 1200, output_tokens: 300, total_tokens: 1500 },
    });
  });

  it('completed without errors has no error file', () => {
    const b = batch({ status: 'Completed', endTime: t(2_000) }, { successRecordCount: 100, errorRecordCount: 0 });
    expect(b.error_file_id).toBeNull();
    expect(b.output_file_id).toBe('file-out');
  });

  it('expired and stopped: what never ran counts as failed and goes to the error file', () => {
    const expired = batch({ status: 'Expired', endTime: t(3_000), successRecordCount: 60, errorRecordCount: 0 });
    expect(expired).toMatchObject({
      status: 'expired',
      expired_at: 3_000,
      request_counts: { total: 100, completed: 60, failed: 40 },
      error_file_id: 'file-err',
    });
    const stopping = batch({ status: 'Stopping', lastModifiedTime: t(2_500) });
    expect(stopping).toMatchObject({ status: 'cancelling', cancelling_at: 2_500, error_file_id: null });
    const stopped = batch({ status: 'Stopped', endTime: t(2_600), successRecordCount: 10 });
    expect(stopped).toMatchObject({ status: 'cancelled', cancelled_at: 2_600, request_counts: { failed: 90 } });
  });

  it("failed: Bedrock's message in errors, no files when nothing ran", () => {
    const b = batch({ status: 'Failed', endTime: t(1_500), message: 'Access denied to s3://x' });
    expect(b).toMatchObject({
      status: 'failed',
      failed_at: 1_500,
      output_file_id: null,
      error_file_id: null,
      errors: {
        object: 'list',
        data: [{ code: 'batch_failed', message: 'Access denied to s3://x', param: null, line: null }],
      },
    });
  });
});
