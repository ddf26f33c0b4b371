/**
 * `reasoning_effort` and the native `thinking` parameter → the reasoning field each family reads
 * from `additionalModelRequestFields` (see `ReasoningStyle` in the capability table).
 *
 * Anthropic budgets: low 30 %, medium 60 %, high 90 % of the output-token limit, at least 1024
 * (Anthropic's minimum) and strictly below `maxTokens` (Bedrock rejects a budget ≥ maxTokens).
 * When the floor does not fit under the caller's limit, `maxTokens` is raised to budget + limit so
 * the answer keeps the room the caller asked for, up to the model's maximum; a model whose maximum
 * is under 1025 tokens cannot think and gets a 400. `minimal` is treated as `low`.
 */
import { unsupportedParameter, unsupportedValue } from '../../errors/index.js';
import type { ModelCapabilities } from '../../models/index.js';
import type { JsonObject } from '../../wire/bedrock/index.js';
import type { ChatCompletionRequest } from '../../wire/openai/index.js';

/** Anthropic's minimum thinking budget. */
export const MIN_THINKING_BUDGET = 1024;
/** `maxTokens` used with thinking when the caller sets no limit (bounded by the model maximum). */
export const DEFAULT_THINKING_MAX_TOKENS = 16_384;
/** Room left for the answer above an explicit budget when the caller sets no limit. */
const DEFAULT_ANSWER_TOKENS = 4096;

const BUDGET_SHARE = { low: 0.3, medium: 0.6, high: 0.9 } as const;

export interface ReasoningPlan {
  /** Fields merged into `additionalModelRequestFields`. */
  fields: JsonObject;
  /** `inferenceConfig.maxTokens` to send (undefined: as requested / model default). */
  maxTokens: number | undefined;
  /** Reasoning was requested (and the model will reason). */
  enabled: boolean;
  /** Anthropic extended thinking is on: sampling overrides and forced tool choice are not allowed. */
  anthropicThinking: boolean;
}

/**
 * Plans reasoning for a request. `requestedMax` is the caller's output limit after clamping to the
 * model maximum.
 */
export function planReasoning(
  request: ChatCompletionRequest,
  caps: ModelCapabilities,
  requestedMax: number | undefined,
  modelName: string,
  warnings: string[],
): ReasoningPlan {
  const off: ReasoningPlan = { fields: {}, maxTokens: requestedMax, enabled: false, anthropicThinking: false };
  const thinking = request.thinking;
  const effort = request.reasoning_effort ?? undefined;

  if (thinking) {
    if (caps.reasoning !== 'anthropic-thinking' && caps.family !== 'unknown') {
      throw unsupportedParameter('thinking', `is not supported by model '${modelName}' (no extended thinking).`);
    }
    if (effort !== undefined) warnings.push('reasoning_effort ignored: the thinking parameter takes precedence.');
    switch (thinking.type) {
      case 'disabled':
        return { ...off, fields: { thinking: { type: 'disabled' } } };
      case 'adaptive':
        return {
          fields: { thinking: { type: 'adaptive' } },
          maxTokens: requestedMax,
          enabled: true,
          anthropicThinking: true,
        };
      case 'enabled': {
        // Passed through as given; only a missing limit is filled in so that budget < maxTokens holds.
        const maxTokens =
          requestedMax ??
          Math.min(
            caps.maxOutputTokens,
            Math.max(DEFAULT_THINKING_MAX_TOKENS, thinking.budget_tokens + DEFAULT_ANSWER_TOKENS),
          );
        return {
          fields: { thinking: { type: 'enabled', budget_tokens: thinking.budget_tokens } },
          maxTokens,
          enabled: true,
          anthropicThinking: true,
        };
      }
      default: {
        const never: never = thinking;
        return never;
      }
    }
  }

  if (effort === undefined) return off;
  if (effort === 'none') {
    if (caps.reasoning === 'always-on') {
      warnings.push(`reasoning_effort 'none' ignored: model '${modelName}' always reasons.`);
    }
    return off;
  }
  const level = effort === 'minimal' ? 'low' : effort;

  switch (caps.reasoning) {
    case 'none':
      throw unsupportedParameter('reasoning_effort', `is not supported by model '${modelName}' (no reasoning).`);
    case 'always-on':
      warnings.push(`reasoning_effort '${effort}' ignored: model '${modelName}' always reasons at its own depth.`);
      return { ...off, enabled: true };
    case 'nova-reasoning-config':
      return { ...off, fields: { reasoningConfig: { type: 'enabled', maxReasoningEffort: level } }, enabled: true };
    case 'reasoning-effort':
      return { ...off, fields: { reasoning_effort: level }, enabled: true };
    case 'reasoning-config-string':
      return { ...off, fields: { reasoning_config: level }, enabled: true };
    case 'anthropic-thinking': {
      const modelMax = caps.maxOutputTokens;
      const base = requestedMax ?? Math.min(modelMax, DEFAULT_THINKING_MAX_TOKENS);
      let budget = Math.max(MIN_THINKING_BUDGET, Math.floor(base * BUDGET_SHARE[level]));
      let maxTokens = base;
      if (budget >= maxTokens) maxTokens = Math.min(modelMax, budget + base);
      if (budget >= maxTokens) budget = maxTokens - 1;
      if (budget < MIN_THINKING_BUDGET) {
        throw unsupportedValue(
          'reasoning_effort',
          `model '${modelName}' allows at most ${modelMax} output tokens, too few for the minimum thinking budget of ${MIN_THINKING_BUDGET}.`,
        );
      }
      if (requestedMax !== undefined && maxTokens !== requestedMax) {
        warnings.push(
          `max_tokens raised from ${requestedMax} to ${maxTokens} to fit a thinking budget of ${budget} tokens.`,
        );
      }
      return {
        fields: { thinking: { type: 'enabled', budget_tokens: budget } },
        maxTokens,
        enabled: true,
        anthropicThinking: true,
      };
    }
    default: {
      const never: never = caps.reasoning;
      return never;
    }
  }
}
