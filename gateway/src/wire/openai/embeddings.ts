/** OpenAI `/v1/embeddings` request and response shapes (types only). */

export type EmbeddingEncodingFormat = 'float' | 'base64';

/** A validated embeddings request, parsed once at the edge. */
export interface EmbeddingsRequest {
  model: string;
  /** Always a non-empty list of non-empty strings; a single string becomes a list of one. */
  input: string[];
  /** Whether the caller sent a single string (affects nothing on the wire; kept for logs). */
  singleInput: boolean;
  encodingFormat: EmbeddingEncodingFormat;
  dimensions?: number;
  user?: string;
  /** Extension for Cohere Embed: `search_document` (default), `search_query`, `classification`, `clustering`. */
  inputType?: 'search_document' | 'search_query' | 'classification' | 'clustering';
  /** Extension for Titan v2: `normalize` (default true, as OpenAI vectors are unit length). */
  normalize?: boolean;
  /** Extension for Cohere Embed: `NONE` (Bedrock's default), `START`, `END`. */
  truncate?: 'NONE' | 'START' | 'END';
}

export interface EmbeddingObject {
  object: 'embedding';
  index: number;
  /** Floats, or base64 of little-endian float32 values when `encoding_format` is `base64`. */
  embedding: number[] | string;
}

export interface EmbeddingsResponse {
  object: 'list';
  data: EmbeddingObject[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}
