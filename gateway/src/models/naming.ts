/**
 * Bedrock model identifiers: foundation ids, cross-region inference-profile ids and ARNs.
 * Shared by the gateway (routing, capabilities, pricing) and the operator (status, validation).
 */

export type ModelType = 'chat' | 'embedding' | 'image';

export type ModelFamily =
  | 'anthropic'
  | 'amazon-nova'
  | 'amazon-nova-canvas'
  | 'titan-text'
  | 'titan-embed'
  | 'titan-image'
  | 'cohere'
  | 'cohere-embed'
  | 'meta'
  | 'mistral'
  | 'deepseek'
  | 'openai'
  | 'qwen'
  | 'ai21'
  | 'writer'
  | 'stability'
  | 'unknown';

/** Geography prefixes of system-defined cross-region inference profiles. */
export const INFERENCE_PROFILE_PREFIXES = ['us', 'eu', 'apac', 'global', 'us-gov', 'jp', 'au', 'ca'] as const;

export interface ParsedModelId {
  /** The id exactly as configured. */
  readonly raw: string;
  /** The foundation model id behind it when it can be known from the id alone (e.g. `anthropic.claude-...-v1:0`). */
  readonly foundationModelId: string | undefined;
  /** The geography prefix of a system inference profile (`us`, `global`, ...). */
  readonly profilePrefix: string | undefined;
  /** The region an ARN names; ARNs pin their region. */
  readonly arnRegion: string | undefined;
  readonly kind: 'foundation-model' | 'inference-profile' | 'arn';
}

const ARN_RE = /^arn:(aws[a-z-]*):(bedrock|sagemaker):([a-z0-9-]*):(\d{12})?:([a-z-]+)\/(.+)$/;
const FOUNDATION_RE = /^[a-z0-9-]+\.[a-zA-Z0-9._:-]+$/;

/** Parses a Bedrock model identifier; returns undefined when it matches none of the accepted forms. */
export function parseModelId(raw: string): ParsedModelId | undefined {
  if (raw.length === 0 || raw.length > 2048) return undefined;
  const arn = ARN_RE.exec(raw);
  if (arn) {
    const [, , , region, , resourceType, resource] = arn;
    let foundation: string | undefined;
    let prefix: string | undefined;
    if (resourceType === 'foundation-model') foundation = resource;
    else if (resourceType === 'inference-profile' && resource) {
      const split = splitProfile(resource);
      foundation = split.foundation;
      prefix = split.prefix;
    }
    return { raw, foundationModelId: foundation, profilePrefix: prefix, arnRegion: region || undefined, kind: 'arn' };
  }
  if (!FOUNDATION_RE.test(raw)) return undefined;
  const split = splitProfile(raw);
  return {
    raw,
    foundationModelId: split.foundation,
    profilePrefix: split.prefix,
    arnRegion: undefined,
    kind: split.prefix ? 'inference-profile' : 'foundation-model',
  };
}

function splitProfile(id: string): { prefix: string | undefined; foundation: string } {
  const dot = id.indexOf('.');
  const head = id.slice(0, dot);
  // `us.anthropic.claude...` has a provider segment after the geography; `amazon.titan...` does not.
  if ((INFERENCE_PROFILE_PREFIXES as readonly string[]).includes(head) && id.indexOf('.', dot + 1) > 0) {
    return { prefix: head, foundation: id.slice(dot + 1) };
  }
  return { prefix: undefined, foundation: id };
}

/** The default Model resource name of a Bedrock id: `.` and `:` become `-` (DESIGN.md). */
export function defaultModelName(modelId: string): string {
  return modelId.replace(/[.:]/g, '-').toLowerCase();
}

/** The model family of a Bedrock id, from its provider and name. */
export function inferFamily(modelId: string): ModelFamily {
  const parsed = parseModelId(modelId);
  const id = (parsed?.foundationModelId ?? modelId).toLowerCase();
  if (id.startsWith('anthropic.')) return 'anthropic';
  if (id.startsWith('amazon.nova-canvas')) return 'amazon-nova-canvas';
  if (id.startsWith('amazon.nova')) return 'amazon-nova';
  if (id.startsWith('amazon.titan-embed')) return 'titan-embed';
  if (id.startsWith('amazon.titan-image')) return 'titan-image';
  if (id.startsWith('amazon.titan-text') || id.startsWith('amazon.titan-tg1')) return 'titan-text';
  if (id.startsWith('cohere.embed')) return 'cohere-embed';
  if (id.startsWith('cohere.')) return 'cohere';
  if (id.startsWith('meta.')) return 'meta';
  if (id.startsWith('mistral.')) return 'mistral';
  if (id.startsWith('deepseek.')) return 'deepseek';
  if (id.startsWith('openai.')) return 'openai';
  if (id.startsWith('qwen.')) return 'qwen';
  if (id.startsWith('ai21.')) return 'ai21';
  if (id.startsWith('writer.')) return 'writer';
  if (id.startsWith('stability.')) return 'stability';
  return 'unknown';
}

/** The served surface of a model, inferred from its family when the Model does not say. */
export function inferModelType(modelId: string): ModelType {
  switch (inferFamily(modelId)) {
    case 'titan-embed':
    case 'cohere-embed':
      return 'embedding';
    case 'titan-image':
    case 'amazon-nova-canvas':
    case 'stability':
      return 'image';
    default:
      return 'chat';
  }
}

/** Percent-encodes a model id as one path label, as the AWS SDKs do (`:` → `%3A`, `/` → `%2F`). */
export function encodeModelIdForPath(modelId: string): string {
  return encodeURIComponent(modelId).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
