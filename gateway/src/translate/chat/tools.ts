/**
 * OpenAI tools and tool calls → Bedrock `toolConfig`, `toolUse` and `toolResult`.
 *
 * Bedrock constraints enforced here, so the caller gets a 400 naming the field instead of an
 * upstream ValidationException: tool names are 1–64 characters of `[a-zA-Z0-9_-]`, descriptions
 * are non-empty when present, `toolConfig` must exist whenever the history holds tool blocks, and
 * `toolChoice` has no `none` member.
 */
import { echo, GatewayError, invalidValue, unsupportedParameter, unsupportedValue } from '../../errors/index.js';
import { parseJsonWithinDepth } from '../../json/index.js';
import type { ModelCapabilities } from '../../models/index.js';
import type { JsonObject, JsonValue, Tool, ToolChoice, ToolUseBlock } from '../../wire/bedrock/index.js';
import type { ChatCompletionRequest, FunctionTool, ToolCall } from '../../wire/openai/index.js';
import type { CachePoints } from './cache-points.js';

const TOOL_NAME_RE = /^[a-zA-Z0-9_-]{1,64}$/;
const TOOL_USE_ID_RE = /^[a-zA-Z0-9_.:-]{1,64}$/;
const TOOL_USE_ID_ILLEGAL_RE = /[^a-zA-Z0-9_.:-]/g;

export function isValidToolName(name: string): boolean {
  return TOOL_NAME_RE.test(name);
}

/**
 * A tool call id in Bedrock's charset (`[a-zA-Z0-9_.:-]{1,64}`). OpenAI ids (`call_…`) pass
 * unchanged; ids minted elsewhere are rewritten the same way on the assistant `toolUse` and the
 * matching `toolResult`, so the pair still lines up.
 */
export function toToolUseId(id: string): string {
  if (TOOL_USE_ID_RE.test(id)) return id;
  const cleaned = id.replace(TOOL_USE_ID_ILLEGAL_RE, '_').slice(0, 64);
  return cleaned.length > 0 ? cleaned : '_';
}

/** An assistant tool call → `toolUse`, with its JSON arguments parsed (400 when they are not a JSON object). */
export function toToolUse(call: ToolCall, param: string): ToolUseBlock {
  if (!isValidToolName(call.function.name)) {
    throw invalidValue(
      `Invalid tool name '${echo(call.function.name)}' in '${param}.function.name': Bedrock tool names are 1-64 characters of letters, digits, '_' and '-'.`,
      `${param}.function.name`,
    );
  }
  const raw = call.function.arguments.trim();
  let input: unknown = {};
  if (raw.length > 0) {
    try {
      input = parseJsonWithinDepth(raw, `${param}.function.arguments`);
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw invalidValue(
        `Invalid JSON in '${param}.function.arguments': tool call arguments must be a JSON object.`,
        `${param}.function.arguments`,
      );
    }
  }
  // Bedrock (like Anthropic) stores tool input as an object; an array or scalar cannot be replayed.
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidValue(
      `Invalid value for '${param}.function.arguments': tool call arguments must be a JSON object.`,
      `${param}.function.arguments`,
    );
  }
  return { toolUseId: toToolUseId(call.id), name: call.function.name, input: input as JsonObject };
}

/** The JSON schema of a function's parameters as Bedrock needs it: an object schema. */
function inputSchema(tool: FunctionTool, param: string): JsonValue {
  const params = tool.function.parameters;
  if (params === undefined) return { type: 'object', properties: {} };
  if (params.type !== undefined && params.type !== 'object') {
    throw invalidValue(
      `Invalid value for '${param}.function.parameters': the schema of tool parameters must have type 'object'.`,
      `${param}.function.parameters`,
    );
  }
  // OpenAI allows `{}` for "no parameters"; Bedrock providers want an explicit object type.
  return params.type === undefined ? { type: 'object', ...params } : params;
}

export interface ToolConfigInput {
  request: ChatCompletionRequest;
  caps: ModelCapabilities;
  modelName: string;
  cache: CachePoints;
  warnings: string[];
  /** Tool names used in the (not flattened) history, in order of first use. */
  historyToolNames: readonly string[];
  /** The extra tool `response_format` needs in tool mode, and the choice it prefers. */
  structuredTool?: { tool: Tool; name: string; preferredChoice: ToolChoice | undefined };
  /** Anthropic extended thinking is on: forced tool choice is not allowed. */
  thinking: boolean;
}

function choiceNeedsTools(request: ChatCompletionRequest): string | undefined {
  const choice = request.tool_choice;
  if (choice === 'required') return "tool_choice 'required'";
  if (typeof choice === 'object') return `tool_choice '${echo(choice.function.name)}'`;
  return undefined;
}

/**
 * Builds `toolConfig`, or undefined when the request needs none.
 *
 * - `tool_choice: "none"` withholds the caller's tools for this turn (the history is flattened to
 *   text beforehand, so no toolConfig is needed); Bedrock has no `none` choice.
 * - A follow-up without `tools` whose history holds tool blocks gets a toolConfig derived from
 *   the history (names used, permissive object schemas), because Bedrock refuses tool blocks
 *   without one.
 */
export function toToolConfig(input: ToolConfigInput): { tools: Tool[]; toolChoice?: ToolChoice } | undefined {
  const { request, caps, modelName, cache, warnings } = input;
  const withheld = request.tool_choice === 'none';
  const callerTools = withheld ? [] : (request.tools ?? []);
  const tools: Tool[] = [];

  if (callerTools.length > 0 && !caps.tools) {
    throw unsupportedParameter('tools', `is not supported by model '${modelName}' (no tool use on Bedrock).`);
  }
  const seen = new Set<string>();
  callerTools.forEach((tool, i) => {
    const param = `tools[${i}]`;
    const name = tool.function.name;
    if (!isValidToolName(name)) {
      throw invalidValue(
        `Invalid tool name '${echo(name)}' in '${param}.function.name': Bedrock tool names are 1-64 characters of letters, digits, '_' and '-'.`,
        `${param}.function.name`,
      );
    }
    if (seen.has(name)) {
      throw invalidValue(`Duplicate tool name '${echo(name)}' in '${param}.function.name'.`, `${param}.function.name`);
    }
    if (input.structuredTool && name === input.structuredTool.name) {
      throw invalidValue(
        `The tool name '${name}' is reserved for response_format on model '${modelName}'; rename the tool.`,
        `${param}.function.name`,
      );
    }
    seen.add(name);
    const spec: Tool = { toolSpec: { name, inputSchema: { json: inputSchema(tool, param) } } };
    // Bedrock refuses an empty description; a missing one is fine.
    const description = tool.function.description?.trim();
    if (description) spec.toolSpec.description = tool.function.description;
    if (tool.function.strict === true) {
      if (caps.nativeStructuredOutput) spec.toolSpec.strict = true;
      else warnings.push(`tools[${i}].function.strict ignored: model '${modelName}' has no strict tool use.`);
    }
    tools.push(spec);
    const point = cache.take(tool.cache_control, `${param}.cache_control`, 'tool');
    if (point) tools.push({ cachePoint: point });
  });

  // Tool choice from the caller.
  let toolChoice: ToolChoice | undefined;
  const choice = request.tool_choice;
  if (callerTools.length === 0) {
    const needs = choiceNeedsTools(request);
    if (needs) throw invalidValue(`${needs} requires 'tools' to be specified.`, 'tool_choice');
  } else if (choice === 'auto') {
    toolChoice = { auto: {} };
  } else if (choice === 'required') {
    if (input.thinking) {
      throw unsupportedValue(
        'tool_choice',
        `'required' cannot be combined with reasoning on model '${modelName}': extended thinking only allows tool_choice 'auto'.`,
      );
    }
    if (!caps.toolChoiceAny) {
      throw unsupportedValue('tool_choice', `'required' is not supported by model '${modelName}'.`);
    }
    toolChoice = { any: {} };
  } else if (typeof choice === 'object') {
    const name = choice.function.name;
    if (!seen.has(name)) {
      throw invalidValue(`tool_choice names '${echo(name)}', which is not among 'tools'.`, 'tool_choice.function.name');
    }
    if (input.thinking) {
      throw unsupportedValue(
        'tool_choice',
        `a named function cannot be combined with reasoning on model '${modelName}': extended thinking only allows tool_choice 'auto'.`,
      );
    }
    if (!caps.toolChoiceTool) {
      throw unsupportedValue('tool_choice', `forcing a named function is not supported by model '${modelName}'.`);
    }
    toolChoice = { tool: { name } };
  }

  if (input.structuredTool) {
    tools.push(input.structuredTool.tool);
    // An explicit forcing choice from the caller wins; otherwise the structured-output preference.
    if (choice !== 'required' && typeof choice !== 'object') toolChoice = input.structuredTool.preferredChoice;
  }

  if (tools.length === 0 && input.historyToolNames.length > 0) {
    if (!caps.tools) {
      throw unsupportedParameter(
        'messages',
        `holds tool calls, which model '${modelName}' does not support (no tool use on Bedrock).`,
      );
    }
    for (const name of input.historyToolNames) {
      tools.push({ toolSpec: { name, inputSchema: { json: { type: 'object' } } } });
    }
  }
  if (tools.length === 0) return undefined;
  return toolChoice ? { tools, toolChoice } : { tools };
}
