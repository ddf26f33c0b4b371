/**
 * Bedrock batch output record → OpenAI batch output line (openai-to-bedrock.md §6.4), with the online
 * response translators: Converse responses become `chat.completion`s via `fromConverseResponse`, embedding
 * bodies become embedding lists via `fromTitanEmbedResponses` / `fromCohereEmbedResponses`. Pure and
 * synchronous; ids are derived from the job and record ids, so reading an output file twice gives the
 * same bytes.
 */
import { ERROR_CODES, type ErrorCode } from '../../errors/index.js';
import type {
  BatchOutputRecord,
  CohereEmbedResponse,
  ConverseResponse,
  TitanEmbedResponse,
  TokenUsage,
} from '../../wire/bedrock/index.js';
import type { JsonValue } from '../../wire/json.js';
import type { BatchEndpoint, BatchOutputLine } from '../../wire/openai/index.js';
import { fromConverseResponse } from '../chat/index.js';
import { type EmbeddingModelKind, fromCohereEmbedResponses, fromTitanEmbedResponses } from '../embeddings/index.js';
import { type BatchMapEntry, recordIdOf } from './records.js';

/** What converting the records of one job needs. */
export interface BatchOutputContext {
  endpoint: BatchEndpoint;
  /** The served model name put in each response body. */
  servedName: string;
  embeddingKind?: EmbeddingModelKind | undefined;
  /** Bedrock's job id (12 characters): with the record id it makes every id of the line. */
  jobId: string;
  /** Unix seconds put in `created` of chat completions (the job's end time). */
  created: number;
}

/** The token usage of one converted record, for the batch's usage and cost. */
export interface RecordUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** A converted record: a line for the output file (success) or for the error file. */
export type ConvertedRecord =
  | { kind: 'output'; line: BatchOutputLine; usage: RecordUsage }
  | { kind: 'error'; line: BatchOutputLine };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lineIds(ctx: BatchOutputContext, index: number): { id: string; requestId: string; suffix: string } {
  const suffix = `${ctx.jobId}${recordIdOf(index)}`;
  return { id: `batch_req_${suffix}`, requestId: `req_${suffix}`, suffix };
}

/** Bedrock's per-record `errorCode` is an HTTP status; the gateway error code of the same meaning. */
function errorCodeForStatus(status: number): ErrorCode {
  if (status === 400) return 'invalid_request';
  if (status === 403) return 'upstream_access_denied';
  if (status === 404) return 'model_not_found';
  if (status === 408) return 'model_timeout';
  if (status === 413) return 'request_too_large';
  if (status === 424) return 'upstream_error';
  if (status === 429) return 'rate_limit_exceeded';
  if (status === 503) return 'upstream_unavailable';
  if (status >= 400 && status < 500) return 'invalid_request';
  return 'upstream_error';
}

function errorLine(
  entry: BatchMapEntry,
  index: number,
  ctx: BatchOutputContext,
  status: number,
  message: string,
): BatchOutputLine {
  const { id, requestId } = lineIds(ctx, index);
  const code = errorCodeForStatus(status);
  return {
    id,
    custom_id: entry.custom_id,
    response: {
      status_code: status,
      request_id: requestId,
      body: { error: { message, type: ERROR_CODES[code].type, param: null, code } },
    },
    error: null,
  };
}

const UNREADABLE = 'Bedrock returned a record output the gateway could not read.';

/**
 * Converts the output record of input line `index`. A record with `error`, or whose `modelOutput` the
 * response translator cannot read, becomes an error-file line with Bedrock's status and message; anything
 * else becomes an output-file line with status 200 and the OpenAI response body.
 */
export function fromBatchOutputRecord(
  record: BatchOutputRecord,
  entry: BatchMapEntry,
  index: number,
  ctx: BatchOutputContext,
): ConvertedRecord {
  if (record.error !== undefined || record.modelOutput === undefined) {
    const raw = record.error?.errorCode;
    const parsed = typeof raw === 'number' ? raw : Number(raw);
    const status = Number.isInteger(parsed) && parsed >= 400 && parsed <= 599 ? parsed : 500;
    const message =
      typeof record.error?.errorMessage === 'string' && record.error.errorMessage.length > 0
        ? record.error.errorMessage
        : 'Bedrock reported an error for this record without a message.';
    return { kind: 'error', line: errorLine(entry, index, ctx, status, message) };
  }
  const { id, requestId, suffix } = lineIds(ctx, index);
  const output = record.modelOutput;
  let body: JsonValue;
  let usage: RecordUsage;
  if (ctx.endpoint === '/v1/chat/completions') {
    if (!isConverseResponse(output)) return { kind: 'error', line: errorLine(entry, index, ctx, 502, UNREADABLE) };
    const completion = fromConverseResponse(output, {
      id: `chatcmpl-${suffix}`,
      created: ctx.created,
      model: ctx.servedName,
      plan: entry.structured_output
        ? { includeUsage: false, structuredOutput: entry.structured_output }
        : { includeUsage: false },
    });
    body = completion as unknown as JsonValue;
    usage = usageOfConverse(output.usage);
  } else if (ctx.embeddingKind === 'cohere-v3') {
    if (!isCohereResponse(output)) return { kind: 'error', line: errorLine(entry, index, ctx, 502, UNREADABLE) };
    const list = fromCohereEmbedResponses([{ body: output, inputTokens: undefined }], {
      model: ctx.servedName,
      encodingFormat: entry.encoding_format ?? 'float',
    });
    body = list as unknown as JsonValue;
    usage = { inputTokens: list.usage.prompt_tokens, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  } else {
    if (!isTitanResponse(output)) return { kind: 'error', line: errorLine(entry, index, ctx, 502, UNREADABLE) };
    const list = fromTitanEmbedResponses([output], {
      model: ctx.servedName,
      encodingFormat: entry.encoding_format ?? 'float',
    });
    body = list as unknown as JsonValue;
    usage = { inputTokens: list.usage.prompt_tokens, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  }
  return {
    kind: 'output',
    line: { id, custom_id: entry.custom_id, response: { status_code: 200, request_id: requestId, body }, error: null },
    usage,
  };
}

/** Why a record has no output at all, by the job's end state (OpenAI's codes for unfinished requests). */
export type MissingRecordReason = 'batch_expired' | 'batch_cancelled' | 'batch_failed';

const MISSING_MESSAGES: Record<MissingRecordReason, string> = {
  batch_expired: 'This request could not be executed before the completion window expired.',
  batch_cancelled: 'This request was not executed because the batch was cancelled.',
  batch_failed: 'This request was not executed because the batch failed.',
};

/** The error-file line of an input line that has no output record (the job ended before it ran). */
export function missingRecordLine(
  entry: BatchMapEntry,
  index: number,
  ctx: BatchOutputContext,
  reason: MissingRecordReason,
): BatchOutputLine {
  return {
    id: lineIds(ctx, index).id,
    custom_id: entry.custom_id,
    response: null,
    error: { code: reason, message: MISSING_MESSAGES[reason] },
  };
}

function usageOfConverse(usage: TokenUsage | undefined): RecordUsage {
  return {
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    cacheReadTokens: usage?.cacheReadInputTokens ?? 0,
    cacheWriteTokens: usage?.cacheWriteInputTokens ?? 0,
  };
}

function isConverseResponse(value: unknown): value is ConverseResponse {
  if (!isObject(value) || !isObject(value.output)) return false;
  const message = value.output.message;
  return isObject(message) && Array.isArray(message.content) && isObject(value.usage);
}

function isTitanResponse(value: unknown): value is TitanEmbedResponse {
  return isObject(value) && Array.isArray(value.embedding) && typeof value.inputTextTokenCount === 'number';
}

function isCohereResponse(value: unknown): value is CohereEmbedResponse {
  if (!isObject(value) || !Array.isArray(value.texts)) return false;
  return value.response_type === 'embeddings_floats'
    ? Array.isArray(value.embeddings)
    : isObject(value.embeddings) && Array.isArray(value.embeddings.float);
}
