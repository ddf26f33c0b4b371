/**
 * Limits on JSON the gateway parses from callers. docs/configuration.md ("Request limits") documents
 * the same table.
 */
export interface JsonLimits {
  /**
   * Deepest nesting of arrays and objects accepted in any JSON a caller sends: request bodies, and the
   * JSON strings inside them that the gateway parses itself (tool-call `arguments`, tool results). Deeper
   * input gets 400 before it is parsed, so no later step (serialising the Bedrock body, logging) can
   * overflow the stack on it. Real request bodies and JSON schemas stay far below it.
   */
  maxNestingDepth: number;
  /**
   * Deepest nesting accepted in a non-streaming Bedrock answer (a model's tool input can nest as deep as it
   * writes it). Deeper answers are a 502 before they are parsed: turning one into the OpenAI answer
   * serialises it again, and V8's `JSON.stringify` overflows the stack a few thousand levels down.
   */
  upstreamMaxNestingDepth: number;
}

export const JSON_DEFAULTS: Readonly<JsonLimits> = Object.freeze({
  maxNestingDepth: 64,
  upstreamMaxNestingDepth: 256,
});
