/**
 * ConverseStream output events (bedrock-runtime 2023-09-30, `ConverseStreamOutput` union) as decoded from
 * the event stream: one object per frame, keyed by the `:event-type` (or `:exception-type`) header, whose
 * value is the frame's JSON payload. This is also the shape the AWS SDKs yield. Types only.
 *
 * Real Bedrock order (bedrock-wire.md §4): `messageStart`; per content block in index order, text and
 * reasoning blocks start directly with deltas while tool-use blocks get a `contentBlockStart` with id and
 * name; every block ends with `contentBlockStop`; then `messageStop` and finally `metadata`. Exception
 * events can arrive at any point after the HTTP 200 and end the stream. Payloads may also carry a padding
 * member `p`, which readers ignore.
 */
import type {
  Citation,
  ConversationRole,
  ConverseMetrics,
  ConverseTrace,
  ImageFormat,
  JsonValue,
  PerformanceConfiguration,
  ServiceTier,
  StopReason,
  TokenUsage,
} from './converse.js';

export interface MessageStartEvent {
  role: ConversationRole;
}

/** Tool-use blocks announce their id and name before their input fragments. */
export interface ToolUseBlockStart {
  toolUseId: string;
  name: string;
  /** `server_tool_use` for tools Bedrock runs itself (e.g. Nova grounding); not for the client. */
  type?: 'server_tool_use';
}

export type ContentBlockStart =
  | { toolUse: ToolUseBlockStart }
  | { toolResult: { toolUseId: string; type?: string; status?: 'success' | 'error' } }
  | { image: { format: ImageFormat } };

export interface ContentBlockStartEvent {
  contentBlockIndex: number;
  start: ContentBlockStart;
}

/** Reasoning arrives as text fragments, then one `signature`; or as one opaque `redactedContent` (base64). */
export type ReasoningContentBlockDelta = { text: string } | { signature: string } | { redactedContent: string };

export type ContentBlockDelta =
  | { text: string }
  /** A fragment of the tool input's JSON text; fragments concatenate to the whole input (may be `""`). */
  | { toolUse: { input: string } }
  | { reasoningContent: ReasoningContentBlockDelta }
  | { citation: Citation }
  | { toolResult: Array<{ text: string } | { json: JsonValue }> }
  | { image: { source?: { bytes: string }; error?: { message?: string } } };

export interface ContentBlockDeltaEvent {
  contentBlockIndex: number;
  delta: ContentBlockDelta;
}

export interface ContentBlockStopEvent {
  contentBlockIndex: number;
}

export interface MessageStopEvent {
  stopReason: StopReason;
  additionalModelResponseFields?: JsonValue;
}

export interface ConverseStreamMetadataEvent {
  usage: TokenUsage;
  metrics: ConverseMetrics;
  trace?: ConverseTrace;
  performanceConfig?: PerformanceConfiguration;
  serviceTier?: ServiceTier;
}

/** Payload of an exception frame. */
export interface ConverseStreamExceptionPayload {
  message: string;
  /** `modelStreamErrorException` only: what the model itself returned. */
  originalStatusCode?: number;
  originalMessage?: string;
}

/** The exception members of the union (`:exception-type` values). */
export type ConverseStreamExceptionType =
  | 'internalServerException'
  | 'modelStreamErrorException'
  | 'validationException'
  | 'throttlingException'
  | 'serviceUnavailableException';

/** One decoded ConverseStream frame. Discriminate with `'messageStart' in event` etc. */
export type ConverseStreamEvent =
  | { messageStart: MessageStartEvent }
  | { contentBlockStart: ContentBlockStartEvent }
  | { contentBlockDelta: ContentBlockDeltaEvent }
  | { contentBlockStop: ContentBlockStopEvent }
  | { messageStop: MessageStopEvent }
  | { metadata: ConverseStreamMetadataEvent }
  | { internalServerException: ConverseStreamExceptionPayload }
  | { modelStreamErrorException: ConverseStreamExceptionPayload }
  | { validationException: ConverseStreamExceptionPayload }
  | { throttlingException: ConverseStreamExceptionPayload }
  | { serviceUnavailableException: ConverseStreamExceptionPayload };
