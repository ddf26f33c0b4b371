/**
 * `response_format` → Bedrock.
 *
 * - `json_schema` on a model with native structured output: `outputConfig.textFormat` with the
 *   schema serialised as a JSON *string* (Bedrock rejects an object), after stripping the keywords
 *   the family refuses (listed in a warning).
 * - Otherwise, and for `json_object` (no schema to enforce natively), the forced-tool technique: a
 *   reserved tool whose input schema is the requested schema; the model is made to call it and the
 *   response translator turns that call into `message.content`. The tool is forced with
 *   `toolChoice.tool`, or `any` when the caller offers other tools too. With extended thinking on,
 *   Anthropic forbids forced tool use, so the choice stays `auto` and a system instruction asks for
 *   the tool.
 * - A model without tool use gets a system instruction only (best effort, with a warning).
 */
import { invalidValue } from '../../errors/index.js';
import type { ModelCapabilities } from '../../models/index.js';
import type { JsonObject, JsonValue, OutputConfig, Tool, ToolChoice } from '../../wire/bedrock/index.js';
import type { ChatCompletionRequest } from '../../wire/openai/index.js';
import { setOwn } from './own-key.js';
import { STRUCTURED_OUTPUT_TOOL_NAME, type StructuredOutputMode } from './plan.js';

export interface StructuredOutputPlan {
  mode?: StructuredOutputMode;
  outputConfig?: OutputConfig;
  tool?: { tool: Tool; name: string; preferredChoice: ToolChoice | undefined };
  /** Text appended to the system prompt. */
  instruction?: string;
}

/** Keywords whose values are schemas (or maps/lists of schemas) and must be walked. */
const SCHEMA_MAP_KEYWORDS = ['properties', '$defs', 'definitions', 'dependentSchemas', 'patternProperties'] as const;
const SCHEMA_LIST_KEYWORDS = ['anyOf', 'allOf', 'oneOf', 'prefixItems'] as const;
const SCHEMA_KEYWORDS = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains'] as const;

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A copy of `schema` without `refused` keywords at any schema position. Property *names* are never
 * touched: a property called `minimum` stays.
 */
export function stripSchemaKeywords(
  schema: JsonObject,
  refused: ReadonlySet<string>,
  removed: Set<string>,
): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (refused.has(key)) {
      removed.add(key);
      continue;
    }
    if ((SCHEMA_MAP_KEYWORDS as readonly string[]).includes(key) && isObject(value)) {
      const map: JsonObject = {};
      for (const [name, sub] of Object.entries(value)) {
        setOwn(map, name, isObject(sub) ? stripSchemaKeywords(sub, refused, removed) : sub);
      }
      setOwn(out, key, map);
    } else if ((SCHEMA_LIST_KEYWORDS as readonly string[]).includes(key) && Array.isArray(value)) {
      setOwn(
        out,
        key,
        value.map((sub) => (isObject(sub) ? stripSchemaKeywords(sub, refused, removed) : sub)),
      );
    } else if ((SCHEMA_KEYWORDS as readonly string[]).includes(key) && isObject(value)) {
      setOwn(out, key, stripSchemaKeywords(value, refused, removed));
    } else {
      setOwn(out, key, value);
    }
  }
  return out;
}

export interface StructuredOutputInput {
  request: ChatCompletionRequest;
  caps: ModelCapabilities;
  modelName: string;
  warnings: string[];
  /** Anthropic extended thinking is on. */
  thinking: boolean;
}

/** Plans how `response_format` is honoured on this model. */
export function planStructuredOutput(input: StructuredOutputInput): StructuredOutputPlan {
  const { request, caps, modelName, warnings } = input;
  const format = request.response_format;
  if (!format || format.type === 'text') return {};
  const schema = format.type === 'json_schema' ? format.json_schema.schema : undefined;

  if (format.type === 'json_schema' && schema && caps.nativeStructuredOutput) {
    const removed = new Set<string>();
    const cleaned =
      caps.unsupportedSchemaKeywords.length > 0
        ? stripSchemaKeywords(schema, new Set(caps.unsupportedSchemaKeywords), removed)
        : schema;
    if (removed.size > 0) {
      warnings.push(
        `response_format schema keywords not supported by model '${modelName}' were removed: ${[...removed].sort().join(', ')}.`,
      );
    }
    const jsonSchema: NonNullable<OutputConfig['textFormat']>['structure']['jsonSchema'] = {
      schema: JSON.stringify(cleaned),
      name: format.json_schema.name,
    };
    if (format.json_schema.description) jsonSchema.description = format.json_schema.description;
    return {
      mode: { mode: 'native' },
      outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema } } },
    };
  }

  const toolSchema: JsonObject = schema ?? { type: 'object' };
  if (!caps.tools) {
    warnings.push(
      `response_format is best effort on model '${modelName}': it has neither structured output nor tool use, so the JSON is requested by instruction only.`,
    );
    return {
      instruction: schema
        ? `Respond only with a JSON value that conforms to this JSON Schema, with no other text: ${JSON.stringify(schema)}`
        : 'Respond only with a valid JSON object, with no other text.',
    };
  }
  if (schema && schema.type !== undefined && schema.type !== 'object') {
    throw invalidValue(
      `response_format.json_schema.schema must describe an object on model '${modelName}' (it has no native structured output, so the schema becomes a tool input schema).`,
      'response_format.json_schema.schema',
    );
  }
  const name = STRUCTURED_OUTPUT_TOOL_NAME;
  const description =
    format.type === 'json_schema' && format.json_schema.description
      ? format.json_schema.description
      : 'Give the final answer as JSON by calling this tool.';
  const tool: Tool = {
    toolSpec: { name, description, inputSchema: { json: schema ? toolSchema : { type: 'object' } } },
  };
  const otherTools = request.tool_choice !== 'none' && (request.tools?.length ?? 0) > 0;
  const instruction = `Give your final answer by calling the ${name} tool with it as the input, not as text.`;
  if (input.thinking) {
    return { mode: { mode: 'tool', toolName: name }, tool: { tool, name, preferredChoice: { auto: {} } }, instruction };
  }
  if (!otherTools && caps.toolChoiceTool) {
    return { mode: { mode: 'tool', toolName: name }, tool: { tool, name, preferredChoice: { tool: { name } } } };
  }
  if (caps.toolChoiceAny) {
    return { mode: { mode: 'tool', toolName: name }, tool: { tool, name, preferredChoice: { any: {} } }, instruction };
  }
  return { mode: { mode: 'tool', toolName: name }, tool: { tool, name, preferredChoice: { auto: {} } }, instruction };
}
