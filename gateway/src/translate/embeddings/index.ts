export {
  COHERE_MAX_TEXT_CHARS,
  COHERE_MAX_TEXTS_PER_CALL,
  COHERE_V3_DIMENSIONS,
  type CohereEmbedResult,
  DEFAULT_COHERE_INPUT_TYPE,
  fromCohereEmbedResponses,
  toCohereEmbedRequests,
} from './cohere.js';
export { decodeFloat32Base64, encodeFloat32Base64 } from './encode.js';
export { EMBEDDING_MODELS, type EmbeddingModelKind, embeddingModelKind } from './models.js';
export { MAX_EMBEDDING_INPUTS, parseEmbeddingsRequest } from './parse-request.js';
export { fromTitanEmbedResponses, TITAN_V2_DIMENSIONS, toTitanEmbedRequests } from './titan.js';
