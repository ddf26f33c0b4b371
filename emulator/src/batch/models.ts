/**
 * Which catalog models take batch inference jobs. Data only: the Bedrock User Guide page "Supported
 * Regions and models for batch inference" lists Anthropic Claude, Amazon Nova (text), Titan Text
 * Embeddings V2 and Titan Multimodal Embeddings, Meta Llama 3.1 / 3.2 / 3.3, Mistral Small and Large (24.07)
 * and OpenAI gpt-oss. The exact list changes with time and region [unconfirmed in detail]; a model missing
 * here is refused with a ValidationException.
 */

export const BATCH_MODELS: ReadonlySet<string> = new Set([
  'anthropic.claude-3-haiku-20240307-v1:0',
  'anthropic.claude-3-sonnet-20240229-v1:0',
  'anthropic.claude-3-opus-20240229-v1:0',
  'anthropic.claude-3-5-sonnet-20240620-v1:0',
  'anthropic.claude-3-5-sonnet-20241022-v2:0',
  'anthropic.claude-3-5-haiku-20241022-v1:0',
  'anthropic.claude-3-7-sonnet-20250219-v1:0',
  'anthropic.claude-sonnet-4-20250514-v1:0',
  'anthropic.claude-sonnet-4-5-20250929-v1:0',
  'anthropic.claude-haiku-4-5-20251001-v1:0',
  'anthropic.claude-opus-4-20250514-v1:0',
  'anthropic.claude-opus-4-1-20250805-v1:0',
  'anthropic.claude-opus-4-5-20251101-v1:0',
  'amazon.nova-micro-v1:0',
  'amazon.nova-lite-v1:0',
  'amazon.nova-pro-v1:0',
  'amazon.nova-premier-v1:0',
  'amazon.titan-embed-text-v2:0',
  'amazon.titan-embed-image-v1',
  'meta.llama3-1-8b-instruct-v1:0',
  'meta.llama3-1-70b-instruct-v1:0',
  'meta.llama3-1-405b-instruct-v1:0',
  'meta.llama3-2-11b-instruct-v1:0',
  'meta.llama3-2-90b-instruct-v1:0',
  'meta.llama3-3-70b-instruct-v1:0',
  'mistral.mistral-small-2402-v1:0',
  'mistral.mistral-large-2407-v1:0',
  'openai.gpt-oss-20b-1:0',
  'openai.gpt-oss-120b-1:0',
]);
