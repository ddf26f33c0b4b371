/**
 * The emulator's deterministic token count (docs/emulator.md, "Tokens"): one token per started group of
 * four UTF-16 code units of text. Usage, `maxTokens` truncation, context-window checks and prompt-cache
 * minimums all use it, so tests can predict every number.
 */

/** Characters per token. */
export const CHARS_PER_TOKEN = 4;
/** Tokens charged for one image. */
export const IMAGE_TOKENS = 1000;

/** Tokens of a text: `ceil(length / 4)`. */
export function countTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** Tokens of a JSON value: the tokens of its compact JSON text. */
export function countJsonTokens(value: unknown): number {
  return countTokens(JSON.stringify(value) ?? '');
}

/** The longest prefix of `text` that fits in `tokens` tokens. */
export function truncateToTokens(text: string, tokens: number): string {
  return text.slice(0, Math.max(0, tokens) * CHARS_PER_TOKEN);
}
