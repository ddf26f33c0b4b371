/**
 * Titan Text Embeddings v1/v2 and Titan Multimodal Embeddings G1 (`amazon.titan-embed-image-v1`) bodies
 * (Bedrock user guide, model-parameters-titan-embed-text / -titan-embed-mm). Vectors derive from a hash of
 * the text, so equal texts give equal vectors and tests can compare them.
 */
import { validationException } from '../errors.js';
import { countTokens } from '../tokens.js';
import { array, boolean, keys, object, oneOf, string, vectorFor } from './body-checks.js';
import type { InvokeContext, InvokeHandler, InvokeResult } from './types.js';

/** Titan text models read up to 8,192 tokens (and 50,000 characters). */
const TITAN_TEXT_MAX_TOKENS = 8192;
const TITAN_TEXT_MAX_CHARS = 50_000;

function checkTokens(text: string, max: number): number {
  const tokens = countTokens(text);
  if (tokens > max)
    throw validationException(
      `400 Bad Request: Too many input tokens. Max input tokens: ${max}, request input token count: ${tokens}`,
    );
  return tokens;
}

function v1(body: Record<string, unknown>): InvokeResult {
  keys(body, '#', ['inputText'], ['inputText']);
  const text = string(body.inputText, '#/inputText', 1, TITAN_TEXT_MAX_CHARS);
  const tokens = checkTokens(text, TITAN_TEXT_MAX_TOKENS);
  // v1 vectors are not unit length.
  return {
    body: { embedding: vectorFor(text, 1536, false, 'titan-v1'), inputTextTokenCount: tokens },
    inputTokens: tokens,
  };
}

function v2(body: Record<string, unknown>): InvokeResult {
  keys(body, '#', ['inputText', 'dimensions', 'normalize', 'embeddingTypes'], ['inputText']);
  const text = string(body.inputText, '#/inputText', 1, TITAN_TEXT_MAX_CHARS);
  const dims = body.dimensions === undefined ? 1024 : oneOf(body.dimensions, '#/dimensions', [1024, 512, 256]);
  const normalize = body.normalize === undefined ? true : boolean(body.normalize, '#/normalize');
  const types =
    body.embeddingTypes === undefined
      ? ['float']
      : array(body.embeddingTypes, '#/embeddingTypes', 1, 2).map((t, i) =>
          oneOf(t, `#/embeddingTypes/${i}`, ['float', 'binary']),
        );
  const tokens = checkTokens(text, TITAN_TEXT_MAX_TOKENS);
  const vector = vectorFor(text, dims, normalize, 'titan-v2');
  const byType: Record<string, number[]> = {};
  if (types.includes('float')) byType.float = vector;
  if (types.includes('binary')) byType.binary = vector.map((x) => (x > 0 ? 1 : 0));
  return {
    body: { embedding: vector, inputTextTokenCount: tokens, embeddingsByType: byType },
    inputTokens: tokens,
  };
}

function multimodal(body: Record<string, unknown>): InvokeResult {
  keys(body, '#', ['inputText', 'inputImage', 'embeddingConfig']);
  if (body.inputText === undefined && body.inputImage === undefined)
    throw validationException('Malformed input request: At least one of inputText or inputImage must be provided.');
  let dims = 1024;
  if (body.embeddingConfig !== undefined) {
    const config = object(body.embeddingConfig, '#/embeddingConfig');
    keys(config, '#/embeddingConfig', ['outputEmbeddingLength'], ['outputEmbeddingLength']);
    dims = oneOf(config.outputEmbeddingLength, '#/embeddingConfig/outputEmbeddingLength', [256, 384, 1024]);
  }
  const text = body.inputText === undefined ? '' : string(body.inputText, '#/inputText', 1);
  const image = body.inputImage === undefined ? '' : string(body.inputImage, '#/inputImage', 1);
  const tokens = text ? checkTokens(text, 128) : 0;
  return {
    body: { embedding: vectorFor(`${text}\u0000${image}`, dims, true, 'titan-mm'), inputTextTokenCount: tokens },
    inputTokens: tokens,
  };
}

/** The Titan embeddings handler; the dialect follows the foundation model. */
export const titanEmbedHandler: InvokeHandler = (raw: unknown, ctx: InvokeContext) => {
  const body = object(raw, '#');
  if (ctx.foundationModelId.startsWith('amazon.titan-embed-image')) return multimodal(body);
  if (ctx.foundationModelId.startsWith('amazon.titan-embed-text-v2')) return v2(body);
  return v1(body);
};
