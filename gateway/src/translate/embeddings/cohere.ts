import { invalidValue, unsupportedParameter } from '../../errors/index.js';
import type { CohereEmbedRequest, CohereEmbedResponse } from '../../wire/bedrock/index.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../wire/openai/index.js';
import { encodeFloat32Base64 } from './encode.js';

/** Cohere Embed v3 on Bedrock: at most 96 texts per call, each at most 2,048 characters. */
export const COHERE_MAX_TEXTS_PER_CALL = 96;
export const COHERE_MAX_TEXT_CHARS = 2048;
/** Cohere Embed v3 vectors are always 1024 floats. */
export const COHERE_V3_DIMENSIONS = 1024;
/**
 * `input_type` is required by Cohere; OpenAI has no such field. `search_document` is the default
 * because embedding requests most often index a corpus (the common peer default too); queries should
 * send the `input_type: "search_query"` extension.
 */
export const DEFAULT_COHERE_INPUT_TYPE = 'search_document';

/**
 * Cohere bodies, chunked to ≤ 96 texts per call, in input order. `truncate` is sent only when the
 * caller chose one (Bedrock's default `NONE` rejects over-long input, as OpenAI does).
 */
export function toCohereEmbedRequests(request: EmbeddingsRequest): CohereEmbedRequest[] {
  if (request.dimensions !== undefined && request.dimensions !== COHERE_V3_DIMENSIONS)
    throw unsupportedParameter('dimensions', `is fixed at ${COHERE_V3_DIMENSIONS} for Cohere Embed v3.`);
  if (request.normalize !== undefined) throw unsupportedParameter('normalize', 'is not supported by Cohere Embed.');
  request.input.forEach((text, i) => {
    if (text.length > COHERE_MAX_TEXT_CHARS)
      throw invalidValue(
        `Cohere Embed accepts at most ${COHERE_MAX_TEXT_CHARS} characters per input; input[${i}] has ${text.length}.`,
        'input',
      );
  });
  const bodies: CohereEmbedRequest[] = [];
  for (let start = 0; start < request.input.length; start += COHERE_MAX_TEXTS_PER_CALL) {
    const body: CohereEmbedRequest = {
      texts: request.input.slice(start, start + COHERE_MAX_TEXTS_PER_CALL),
      input_type: request.inputType ?? DEFAULT_COHERE_INPUT_TYPE,
    };
    if (request.truncate !== undefined) body.truncate = request.truncate;
    bodies.push(body);
  }
  return bodies;
}

/** One Cohere call's result: its body and the `X-Amzn-Bedrock-Input-Token-Count` header, if sent. */
export interface CohereEmbedResult {
  body: CohereEmbedResponse;
  inputTokens: number | undefined;
}

/**
 * Builds the OpenAI response from Cohere chunks given in call order. Cohere's body carries no token
 * counts, so usage comes from Bedrock's input-token header; when a response lacks it the gateway
 * estimates 1 token per 4 characters rather than reporting 0 (a peer's 0/−1 broke cost tracking).
 */
export function fromCohereEmbedResponses(
  results: readonly CohereEmbedResult[],
  options: { model: string; encodingFormat: EmbeddingsRequest['encodingFormat'] },
): EmbeddingsResponse {
  let tokens = 0;
  const data: EmbeddingsResponse['data'] = [];
  for (const { body, inputTokens } of results) {
    const vectors = body.response_type === 'embeddings_floats' ? body.embeddings : (body.embeddings.float ?? []);
    tokens += inputTokens ?? body.texts.reduce((sum, t) => sum + Math.ceil(t.length / 4), 0);
    for (const vector of vectors) {
      data.push({
        object: 'embedding',
        index: data.length,
        embedding: options.encodingFormat === 'base64' ? encodeFloat32Base64(vector) : vector,
      });
    }
  }
  return { object: 'list', data, model: options.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}
