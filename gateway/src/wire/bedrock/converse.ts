/**
 * Bedrock Converse / ConverseStream request and response bodies as they travel on the wire
 * (bedrock-runtime 2023-09-30, rest-json). Types only.
 *
 * Wire conventions that differ from the AWS SDK's in-memory shapes:
 * - `blob` members (image/document/video bytes, `redactedContent`) are base64 strings in JSON.
 * - `document` members (`additionalModelRequestFields`, tool `input`, `inputSchema.json`,
 *   `toolResult` `json`) are free JSON, typed here as {@link JsonValue}.
 * - A union has exactly one member set; an empty object (`{"auto":{}}`) counts as set.
 */

import type { JsonObject, JsonValue } from '../json.js';

export type { JsonObject, JsonValue };

// ---------------------------------------------------------------------------------------------
// Content blocks

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';
export type DocumentFormat = 'pdf' | 'csv' | 'doc' | 'docx' | 'xls' | 'xlsx' | 'html' | 'txt' | 'md';
export type VideoFormat = 'mkv' | 'mov' | 'mp4' | 'webm' | 'flv' | 'mpeg' | 'mpg' | 'wmv' | 'three_gp';

export interface S3Location {
  /** `s3://bucket/key`. */
  uri: string;
  /** 12-digit account id of the bucket owner. */
  bucketOwner?: string;
}

/** Media source: inline base64 bytes or an S3 object. */
export type MediaSource = { bytes: string } | { s3Location: S3Location };

export interface ImageBlock {
  format: ImageFormat;
  source: MediaSource;
}

export type DocumentSource =
  | { bytes: string }
  | { s3Location: S3Location }
  | { text: string }
  | { content: Array<{ text: string }> };

export interface DocumentBlock {
  format?: DocumentFormat;
  /** 1–200 chars: alphanumerics, single whitespace, `-`, `(`, `)`, `[`, `]` (no dot). */
  name: string;
  source: DocumentSource;
  context?: string;
  citations?: { enabled: boolean };
}

export interface VideoBlock {
  format: VideoFormat;
  source: MediaSource;
}

export interface ToolUseBlock {
  /** 1–64 chars of `[a-zA-Z0-9_.:-]`. */
  toolUseId: string;
  /** 1–64 chars of `[a-zA-Z0-9_-]`. */
  name: string;
  input: JsonValue;
  type?: 'server_tool_use';
}

export type ToolResultContentBlock =
  | { json: JsonValue }
  | { text: string }
  | { image: ImageBlock }
  | { document: DocumentBlock }
  | { video: VideoBlock };

export interface ToolResultBlock {
  toolUseId: string;
  content: ToolResultContentBlock[];
  status?: 'success' | 'error';
  type?: string;
}

export type CacheTtl = '5m' | '1h';

export interface CachePointBlock {
  type: 'default';
  ttl?: CacheTtl;
}

export type GuardrailQualifier = 'grounding_source' | 'query' | 'guard_content';

export type GuardContentBlock =
  | { text: { text: string; qualifiers?: GuardrailQualifier[] } }
  | { image: { format: 'png' | 'jpeg'; source: { bytes: string } } };

/** Reasoning output; must be sent back unchanged (text and signature) in later turns. */
export type ReasoningContentBlock =
  | { reasoningText: { text: string; signature?: string } }
  | { redactedContent: string };

export type CitationLocation =
  | { web: { url?: string; domain?: string } }
  | { documentChar: { documentIndex?: number; start?: number; end?: number } }
  | { documentPage: { documentIndex?: number; start?: number; end?: number } }
  | { documentChunk: { documentIndex?: number; start?: number; end?: number } }
  | { searchResultLocation: { searchResultIndex?: number; start?: number; end?: number } };

export interface Citation {
  title?: string;
  source?: string;
  sourceContent?: Array<{ text: string }>;
  location?: CitationLocation;
}

export interface CitationsContentBlock {
  content?: Array<{ text: string }>;
  citations?: Citation[];
}

export interface SearchResultBlock {
  source: string;
  title: string;
  content: Array<{ text: string }>;
  citations?: { enabled: boolean };
}

/** One member of the Converse `ContentBlock` union; discriminate with `'text' in block` etc. */
export type ContentBlock =
  | { text: string }
  | { image: ImageBlock }
  | { document: DocumentBlock }
  | { video: VideoBlock }
  | { toolUse: ToolUseBlock }
  | { toolResult: ToolResultBlock }
  | { guardContent: GuardContentBlock }
  | { cachePoint: CachePointBlock }
  | { reasoningContent: ReasoningContentBlock }
  | { citationsContent: CitationsContentBlock }
  | { searchResult: SearchResultBlock };

/** The member names of {@link ContentBlock}. */
export type ContentBlockKind =
  | 'text'
  | 'image'
  | 'document'
  | 'video'
  | 'toolUse'
  | 'toolResult'
  | 'guardContent'
  | 'cachePoint'
  | 'reasoningContent'
  | 'citationsContent'
  | 'searchResult';

export type ConversationRole = 'user' | 'assistant';

export interface Message {
  role: ConversationRole;
  content: ContentBlock[];
}

export type SystemContentBlock =
  | { text: string }
  | { guardContent: GuardContentBlock }
  | { cachePoint: CachePointBlock };

// ---------------------------------------------------------------------------------------------
// Tools

export interface ToolSpecification {
  /** 1–64 chars of `[a-zA-Z0-9_-]`. */
  name: string;
  /** Non-empty when present. */
  description?: string;
  inputSchema: { json: JsonValue };
  strict?: boolean;
}

export type Tool = { toolSpec: ToolSpecification } | { systemTool: { name: string } } | { cachePoint: CachePointBlock };

/** `auto`: model decides; `any`: at least one tool call; `tool`: the named tool. There is no `none`. */
export type ToolChoice = { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };

export interface ToolConfiguration {
  tools: Tool[];
  toolChoice?: ToolChoice;
}

// ---------------------------------------------------------------------------------------------
// Request

export interface InferenceConfiguration {
  /** ≥ 1; defaults to the model's maximum when absent. */
  maxTokens?: number;
  /** 0..1 on the wire schema (some families accept more via their native body). */
  temperature?: number;
  topP?: number;
  /** Non-empty strings, 0–2500 items. */
  stopSequences?: string[];
}

export interface GuardrailConfiguration {
  guardrailIdentifier: string;
  /** `DRAFT` or a version number. */
  guardrailVersion: string;
  trace?: 'enabled' | 'disabled' | 'enabled_full';
  /** ConverseStream only. */
  streamProcessingMode?: 'sync' | 'async';
}

export interface PerformanceConfiguration {
  latency?: 'standard' | 'optimized';
}

export type ServiceTierType = 'priority' | 'default' | 'flex' | 'reserved';

export interface ServiceTier {
  type: ServiceTierType;
}

export interface JsonSchemaDefinition {
  /** The JSON Schema serialised as a string (Bedrock rejects an object here). */
  schema: string;
  name?: string;
  description?: string;
}

export interface OutputFormat {
  type: 'json_schema';
  structure: { jsonSchema: JsonSchemaDefinition };
}

export interface OutputConfig {
  textFormat?: OutputFormat;
  effort?: string;
}

/** The Converse / ConverseStream request body (the model id is the path label, not in the body). */
export interface ConverseRequest {
  messages: Message[];
  system?: SystemContentBlock[];
  inferenceConfig?: InferenceConfiguration;
  toolConfig?: ToolConfiguration;
  guardrailConfig?: GuardrailConfiguration;
  additionalModelRequestFields?: JsonObject;
  /** 0–10 JSON Pointers of 1–256 chars, e.g. `/stop_sequence`. */
  additionalModelResponseFieldPaths?: string[];
  promptVariables?: Record<string, { text: string }>;
  /** 1–16 pairs; keys 1–256, values 0–256 chars of `[a-zA-Z0-9\s:_@$#=/+,-.]`. */
  requestMetadata?: Record<string, string>;
  performanceConfig?: PerformanceConfiguration;
  serviceTier?: ServiceTier;
  outputConfig?: OutputConfig;
}

// ---------------------------------------------------------------------------------------------
// Response

export type StopReason =
  | 'end_turn'
  | 'tool_use'
  | 'max_tokens'
  | 'stop_sequence'
  | 'guardrail_intervened'
  | 'content_filtered'
  | 'malformed_model_output'
  | 'malformed_tool_use'
  | 'model_context_window_exceeded';

export interface CacheDetail {
  ttl: CacheTtl;
  inputTokens: number;
}

/** Token usage. `inputTokens` excludes cache reads and writes; `totalTokens` includes everything. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
  cacheDetails?: CacheDetail[];
}

export interface ConverseMetrics {
  latencyMs: number;
}

export interface ConverseTrace {
  guardrail?: {
    modelOutput?: string[];
    inputAssessment?: Record<string, JsonObject>;
    outputAssessments?: Record<string, JsonObject[]>;
    actionReason?: string;
  };
  promptRouter?: { invokedModelId?: string };
}

/** The Converse response body. */
export interface ConverseResponse {
  output: { message: Message };
  stopReason: StopReason;
  usage: TokenUsage;
  metrics: ConverseMetrics;
  additionalModelResponseFields?: JsonValue;
  trace?: ConverseTrace;
  performanceConfig?: PerformanceConfiguration;
  serviceTier?: ServiceTier;
}
