export { parseEmbeddingsRequest, MAX_EMBEDDING_INPUTS } from './parse-request.js';
export { toTitanEmbedRequests, fromTitanEmbedResponses, TITAN_V2_DIMENSIONS } from './titan.js';
export {
  toCohereEmbedRequests,
  fromCohereEmbedResponses,
  COHERE_MAX_TEXTS_PER_CALL,
  COHERE_MAX_TEXT_CHARS,
  COHERE_V3_DIMENSIONS,
  DEFAULT_COHERE_INPUT_TYPE,
  type CohereEmbedResult,
} from './cohere.js';
export { embeddingModelKind, EMBEDDING_MODELS, type EmbeddingModelKind } from './models.js';
export { encodeFloat32Base64, decodeFloat32Base64 } from './encode.js';
