/**
 * Cohere Embed v3 bodies (`cohere.embed-english-v3`, `cohere.embed-multilingual-v3`; Bedrock user guide,
 * model-parameters-embed): ≤ 96 texts of ≤ 2,048 characters, `input_type` required, 1024-dimension vectors.
 * Token counts go to the `X-Amzn-Bedrock-Input-Token-Count` header, since Cohere's body has none.
 */
import { validationException } from '../errors.js';
import { countTokens, truncateToTokens } from '../tokens.js';
import { array, digest, keys, object, oneOf, string, vectorFor } from './body-checks.js';
import type { InvokeHandler } from './types.js';

const MAX_TEXTS = 96;
const MAX_CHARS = 2048;
/** Cohere v3 reads 512 tokens per text; `truncate: NONE` (the default) refuses longer ones. */
const MAX_TOKENS_PER_TEXT = 512;
const DIMS = 1024;
const TYPES = ['float', 'int8', 'uint8', 'binary', 'ubinary'] as const;

/** Bit-packs a vector's signs, 8 dimensions per byte (Cohere's binary/ubinary encodings). */
function packBits(vector: readonly number[], signed: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < vector.length; i += 8) {
    let byte = 0;
    for (let b = 0; b < 8; b++) if ((vector[i + b] ?? 0) > 0) byte |= 1 << (7 - b);
    out.push(signed ? byte - 128 : byte);
  }
  return out;
}

function uuidFrom(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const cohereEmbedHandler: InvokeHandler = (raw: unknown) => {
  const body = object(raw, '#');
  keys(body, '#', ['texts', 'input_type', 'truncate', 'embedding_types'], ['texts', 'input_type']);
  const texts = array(body.texts, '#/texts', 0, MAX_TEXTS).map((t, i) => string(t, `#/texts/${i}`, 0, MAX_CHARS));
  oneOf(body.input_type, '#/input_type', ['search_document', 'search_query', 'classification', 'clustering']);
  const truncate = body.truncate === undefined ? 'NONE' : oneOf(body.truncate, '#/truncate', ['NONE', 'START', 'END']);
  const types =
    body.embedding_types === undefined
      ? undefined
      : array(body.embedding_types, '#/embedding_types', 1, TYPES.length).map((t, i) =>
          oneOf(t, `#/embedding_types/${i}`, TYPES),
        );

  let tokens = 0;
  const vectors = texts.map((text, i) => {
    let used = text;
    const count = countTokens(text);
    if (count > MAX_TOKENS_PER_TEXT) {
      if (truncate === 'NONE')
        throw validationException(
          `texts[${i}] is too long (${count} tokens, max ${MAX_TOKENS_PER_TEXT}); set truncate to START or END to truncate it.`,
        );
      used =
        truncate === 'END'
          ? truncateToTokens(text, MAX_TOKENS_PER_TEXT)
          : text.slice(text.length - MAX_TOKENS_PER_TEXT * 4);
    }
    tokens += countTokens(used);
    return vectorFor(used, DIMS, true, 'cohere-v3');
  });
  const id = uuidFrom(digest('cohere', ...texts));
  if (types === undefined)
    return { body: { id, response_type: 'embeddings_floats', texts, embeddings: vectors }, inputTokens: tokens };
  const byType: Record<string, number[][]> = {};
  for (const t of types) {
    switch (t) {
      case 'float':
        byType.float = vectors;
        break;
      case 'int8':
        byType.int8 = vectors.map((v) => v.map((x) => Math.max(-128, Math.min(127, Math.round(x * 127 * 8)))));
        break;
      case 'uint8':
        byType.uint8 = vectors.map((v) => v.map((x) => Math.max(0, Math.min(255, Math.round(x * 127 * 8) + 128))));
        break;
      case 'binary':
        byType.binary = vectors.map((v) => packBits(v, true));
        break;
      case 'ubinary':
        byType.ubinary = vectors.map((v) => packBits(v, false));
        break;
    }
  }
  return { body: { id, response_type: 'embeddings_by_type', texts, embeddings: byType }, inputTokens: tokens };
};
