import { invalidValue, unsupportedParameter } from '../../errors/index.js';
import type { TitanEmbedRequest, TitanEmbedResponse } from '../../wire/bedrock/index.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../wire/openai/index.js';
import { encodeFloat32Base64 } from './encode.js';

/** Titan Text Embeddings v2 output sizes (Bedrock user guide, model-parameters-titan-embed-text). */
export const TITAN_V2_DIMENSIONS = [256, 512, 1024] as const;

/**
 * One Titan body per input text, in input order: Titan embeds a single `inputText` per call, so a list
 * is fanned out by the caller (peers that sent only `input[0]` silently dropped the rest).
 *
 * v1 accepts only `inputText`; v2 adds `dimensions` (256/512/1024) and `normalize`, which the gateway
 * always sends as `true` unless the caller's `normalize` extension says otherwise, because OpenAI
 * embeddings are unit length and callers compute cosine similarity as a dot product.
 */
export function toTitanEmbedRequests(
  request: EmbeddingsRequest,
  options: { kind: 'titan-v1' | 'titan-v2' },
): TitanEmbedRequest[] {
  if (options.kind === 'titan-v1') {
    if (request.dimensions !== undefined && request.dimensions !== 1536)
      throw unsupportedParameter(
        'dimensions',
        'is not supported by Titan Text Embeddings v1 (always 1536 dimensions); use Titan Text Embeddings v2 for 256, 512 or 1024.',
      );
    if (request.normalize !== undefined)
      throw unsupportedParameter('normalize', 'is not supported by Titan Text Embeddings v1.');
    return request.input.map((inputText) => ({ inputText }));
  }
  let dimensions: TitanEmbedRequest['dimensions'];
  if (request.dimensions !== undefined) {
    if (!(TITAN_V2_DIMENSIONS as readonly number[]).includes(request.dimensions))
      throw invalidValue(
        `Titan Text Embeddings v2 supports 'dimensions' of 256, 512 or 1024; got ${request.dimensions}.`,
        'dimensions',
      );
    dimensions = request.dimensions as 256 | 512 | 1024;
  }
  const normalize = request.normalize ?? true;
  return request.input.map((inputText) => {
    const body: TitanEmbedRequest = { inputText };
    if (dimensions !== undefined) body.dimensions = dimensions;
    body.normalize = normalize;
    return body;
  });
}

/**
 * Builds the OpenAI response from Titan responses given in input order. Usage is the sum of
 * `inputTextTokenCount` (Titan reports no output tokens, so total = prompt).
 */
export function fromTitanEmbedResponses(
  responses: readonly TitanEmbedResponse[],
  options: { model: string; encodingFormat: EmbeddingsRequest['encodingFormat'] },
): EmbeddingsResponse {
  let tokens = 0;
  const data = responses.map((r, index) => {
    tokens += r.inputTextTokenCount;
    const vector = r.embedding;
    return {
      object: 'embedding' as const,
      index,
      embedding: options.encodingFormat === 'base64' ? encodeFloat32Base64(vector) : vector,
    };
  });
  return { object: 'list', data, model: options.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}
