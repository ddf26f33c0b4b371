/**
 * InvokeModel bodies of Bedrock's embedding models (types only).
 * Source: Bedrock user guide `model-parameters-titan-embed-text` and `model-parameters-embed`.
 */

/** `amazon.titan-embed-text-v1` takes only `inputText`; v2 adds the optional members. */
export interface TitanEmbedRequest {
  inputText: string;
  /** v2 only: 256, 512 or 1024 (default 1024). */
  dimensions?: 256 | 512 | 1024;
  /** v2 only: unit-length output (default true). */
  normalize?: boolean;
  /** v2 only: subset of `float`, `binary` (default `["float"]`). */
  embeddingTypes?: Array<'float' | 'binary'>;
}

export interface TitanEmbedResponse {
  embedding: number[];
  inputTextTokenCount: number;
  /** v2 only; always carries at least `float`. */
  embeddingsByType?: { float?: number[]; binary?: number[] };
}

export type CohereInputType = 'search_document' | 'search_query' | 'classification' | 'clustering';
export type CohereTruncate = 'NONE' | 'START' | 'END';
export type CohereEmbeddingType = 'float' | 'int8' | 'uint8' | 'binary' | 'ubinary';

/** `cohere.embed-english-v3` / `cohere.embed-multilingual-v3`: ≤ 96 texts of ≤ 2,048 characters. */
export interface CohereEmbedRequest {
  texts: string[];
  input_type: CohereInputType;
  truncate?: CohereTruncate;
  embedding_types?: CohereEmbeddingType[];
}

export type CohereEmbedResponse =
  | { id: string; response_type: 'embeddings_floats'; texts: string[]; embeddings: number[][] }
  | {
      id: string;
      response_type: 'embeddings_by_type';
      texts: string[];
      embeddings: Partial<Record<CohereEmbeddingType, number[][]>>;
    };
