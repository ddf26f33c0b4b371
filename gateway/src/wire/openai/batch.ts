/** OpenAI Batch API shapes: input and output lines of batch files and the Batch object (types only). */
import type { JsonObject, JsonValue } from '../json.js';

/** The endpoints a batch can target on Bedrock (one Bedrock job serves one model and one invocation type). */
export type BatchEndpoint = '/v1/chat/completions' | '/v1/embeddings';

/** One line of an input file, validated: `{"custom_id","method":"POST","url","body"}`. */
export interface BatchInputLine {
  custom_id: string;
  method: 'POST';
  url: BatchEndpoint;
  body: JsonObject;
}

/** One line of an output or error file. */
export interface BatchOutputLine {
  id: string;
  custom_id: string;
  /** The request's HTTP outcome; null when the request never ran (batch expired, cancelled or failed). */
  response: { status_code: number; request_id: string; body: JsonValue } | null;
  /** Set when the request never ran. */
  error: { code: string; message: string } | null;
}

export type BatchStatus =
  | 'validating'
  | 'failed'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';

export interface BatchError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

export interface BatchRequestCounts {
  total: number;
  completed: number;
  failed: number;
}

export interface BatchUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** OpenAI's Batch object; every member is present (null where unknown), never a sparse object. */
export interface Batch {
  id: string;
  object: 'batch';
  endpoint: BatchEndpoint;
  model: string;
  errors: { object: 'list'; data: BatchError[] } | null;
  input_file_id: string;
  completion_window: '24h';
  status: BatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number | null;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: BatchRequestCounts;
  usage: BatchUsage;
  metadata: Record<string, string> | null;
}
