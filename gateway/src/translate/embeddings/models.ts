/** Which InvokeModel body an embedding model speaks, from its foundation model id. */
export type EmbeddingModelKind = 'titan-v1' | 'titan-v2' | 'cohere-v3';

/** The embedding models the gateway can translate for, with their body dialect. */
export const EMBEDDING_MODELS: Readonly<Record<string, EmbeddingModelKind>> = {
  'amazon.titan-embed-text-v1': 'titan-v1',
  'amazon.titan-embed-g1-text-02': 'titan-v1',
  'amazon.titan-embed-text-v2:0': 'titan-v2',
  'cohere.embed-english-v3': 'cohere-v3',
  'cohere.embed-multilingual-v3': 'cohere-v3',
};

/** Resolves a foundation model id (version suffixes like `:0` tolerated for v1/v3) to its dialect. */
export function embeddingModelKind(foundationModelId: string | undefined): EmbeddingModelKind | undefined {
  if (foundationModelId === undefined) return undefined;
  const exact = EMBEDDING_MODELS[foundationModelId];
  if (exact) return exact;
  // Bedrock also lists context-length variants such as `amazon.titan-embed-text-v1:2:8k`.
  const base = foundationModelId.replace(/:\d+(:\d+k)?$/, '');
  return EMBEDDING_MODELS[base] ?? (base.startsWith('amazon.titan-embed-text-v2') ? 'titan-v2' : undefined);
}
