/**
 * The emulator's parsed view of a Converse / ConverseStream request (bedrock-wire.md §2), produced by
 * `validateConverseRequest` once the body passed every rule.
 */

export type JsonObject = Record<string, unknown>;

/** A content block of a message, tagged by its union member. `raw` is the block as received. */
export type ContentBlock =
  | { kind: 'text'; text: string; raw: unknown }
  | { kind: 'image'; format: string; bytes: Buffer | undefined; raw: unknown }
  | { kind: 'document'; format: string | undefined; name: string; size: number; text: string | undefined; raw: unknown }
  | { kind: 'toolUse'; toolUseId: string; name: string; input: unknown; raw: unknown }
  | { kind: 'toolResult'; toolUseId: string; content: ToolResultContent[]; status: string | undefined; raw: unknown }
  | { kind: 'cachePoint'; ttl: '5m' | '1h'; raw: unknown }
  | {
      kind: 'reasoning';
      text: string | undefined;
      signature: string | undefined;
      redacted: string | undefined;
      raw: unknown;
    }
  | { kind: 'guardContent'; text: string; raw: unknown }
  | { kind: 'other'; member: string; raw: unknown };

/** One member of a toolResult's content. */
export type ToolResultContent =
  | { kind: 'text'; text: string }
  | { kind: 'json'; json: unknown }
  | { kind: 'other'; member: string };

export interface Message {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

/** A system prompt block. */
export type SystemBlock =
  | { kind: 'text'; text: string; raw: unknown }
  | { kind: 'guardContent'; text: string; raw: unknown }
  | { kind: 'cachePoint'; ttl: '5m' | '1h'; raw: unknown };

/** A tools entry. */
export type ToolEntry =
  | { kind: 'toolSpec'; name: string; description: string | undefined; schema: JsonObject; raw: unknown }
  | { kind: 'systemTool'; name: string; raw: unknown }
  | { kind: 'cachePoint'; ttl: '5m' | '1h'; raw: unknown };

/** `none` comes only from Anthropic's native `tool_choice` (InvokeModel): tools stay in the prompt, none is called. */
export type ToolChoice = { kind: 'auto' } | { kind: 'any' } | { kind: 'tool'; name: string } | { kind: 'none' };

/** A validated Converse request. */
export interface ConverseRequest {
  messages: Message[];
  system: SystemBlock[];
  maxTokens: number;
  /** Whether the caller set maxTokens (otherwise it is the model's maximum). */
  maxTokensSet: boolean;
  temperature: number | undefined;
  topP: number | undefined;
  stopSequences: string[];
  tools: ToolEntry[];
  toolChoice: ToolChoice | undefined;
  /** Thinking budget when extended thinking is enabled. */
  thinkingBudget: number | undefined;
  additionalModelResponseFieldPaths: string[];
  /** Parsed JSON schema of native structured output. */
  outputSchema: JsonObject | undefined;
  /** `performanceConfig` as sent, reported back in the response. */
  performanceConfig: { latency?: string } | undefined;
  /** `serviceTier` as sent, reported back in the response. */
  serviceTier: { type: string } | undefined;
}
