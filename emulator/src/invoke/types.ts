import type { CatalogModel } from '../catalog.js';
import type { EmulatorState } from '../state.js';

/**
 * The seam between the emulator's InvokeModel routing (`invoke/index.ts`) and the per-model body
 * handlers (`invoke/<model>.ts`, registered in `invoke/models.ts`).
 */

/** What a handler knows about the call besides the body. */
export interface InvokeContext {
  /** The model id exactly as the caller sent it in the path (profile id or ARN included). */
  modelId: string;
  /** The foundation model behind it (catalog id). */
  foundationModelId: string;
  /** The catalog family (`titan-embed`, `cohere-embed`, `amazon-nova-canvas`, `titan-image`, `stability`, ...). */
  family: string;
  /** The requested response MIME type (`Accept`, or `X-Amzn-Bedrock-Accept` for streams). */
  accept: string;
  /** The catalog entry of the foundation model. */
  model: CatalogModel;
  /** Emulator state: prompt cache, reasoning-signature secret, clock. */
  state: EmulatorState;
  /** The account and region of the call: the prompt cache it uses is theirs. */
  where: { accountId: string; region: string };
}

/** A handler's answer: the native response body plus token counts for the response headers. */
export interface InvokeResult {
  body: unknown;
  inputTokens?: number;
  outputTokens?: number;
  /**
   * For InvokeModelWithResponseStream: the native stream events (JSON objects), each sent as one `chunk`
   * event (e.g. Anthropic's message_start … message_stop). Absent: the whole `body` is sent as one chunk.
   * The router adds `amazon-bedrock-invocationMetrics` to the last one.
   */
  streamChunks?: Record<string, unknown>[];
}

/** Validates a native InvokeModel body and produces the native response; throws BedrockException when invalid. */
export type InvokeHandler = (body: unknown, ctx: InvokeContext) => InvokeResult;
