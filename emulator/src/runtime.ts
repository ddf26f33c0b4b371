/**
 * Bedrock runtime operations (bedrock-wire.md §0): Converse, ConverseStream, CountTokens, and the
 * InvokeModel pair (routed through `invoke/`). Every call is authenticated, counted, subject to injected
 * faults and latency, then validated like real Bedrock.
 */

import { authenticateBedrock, type Principal, requestRegion } from './auth.js';
import { elapsedMs, parseJsonBody, type RuntimeCall, signableOf, writeEventStream } from './call.js';
import { type CatalogModel, type ResolvedModel, resolveModel, unsupportedOperationForModel } from './catalog.js';
import { generateConverseOutput, promptUnits } from './converse/generate.js';
import { converseStreamEvents } from './converse/stream.js';
import { validateConverseRequest } from './converse/validate.js';
import { BedrockException, constraintException, validationException } from './errors.js';
import { faultException, takeFault } from './faults.js';
import { anthropicBodyToConverse } from './invoke/anthropic-messages.js';
import { handleInvoke } from './invoke/index.js';
import { type RequestContext, sendError, sendJson, sleep } from './reply.js';
import type { EmulatorState } from './state.js';
import { dropConnection } from './transport.js';

/** Runtime operation names by path suffix. */
export const RUNTIME_OPERATIONS: Readonly<Record<string, string>> = {
  converse: 'Converse',
  'converse-stream': 'ConverseStream',
  invoke: 'InvokeModel',
  'invoke-with-response-stream': 'InvokeModelWithResponseStream',
  'count-tokens': 'CountTokens',
};

const RUNTIME_PATH = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream|count-tokens)$/;

/** Parses a runtime path into the decoded model id and operation; undefined when it is not one. */
export function matchRuntimePath(rawPath: string): { modelId: string; operation: string } | undefined {
  const m = RUNTIME_PATH.exec(rawPath);
  if (!m) return undefined;
  let modelId: string;
  try {
    // The SDKs percent-encode the label once (`:` → %3A, `/` → %2F); decode exactly once (§1).
    modelId = decodeURIComponent(m[1] ?? '');
  } catch {
    modelId = m[1] ?? '';
  }
  return { modelId, operation: RUNTIME_OPERATIONS[m[2] ?? ''] ?? '' };
}

function tryResolve(modelId: string): ResolvedModel | undefined {
  try {
    return resolveModel(modelId);
  } catch {
    return undefined;
  }
}

/** Handles `POST /model/{modelId}/{operation}`. */
export async function handleRuntime(
  state: EmulatorState,
  ctx: RequestContext,
  route: { modelId: string; operation: string },
): Promise<void> {
  let principal: Principal;
  try {
    principal = await authenticateBedrock(state, signableOf(ctx));
  } catch (error) {
    if (error instanceof BedrockException) state.count('authFailures', error.name);
    throw error;
  }
  state.count('operations', route.operation);
  state.count('principals', principal.arn);
  state.count('models', route.modelId);

  const resolved = tryResolve(route.modelId);
  const fault = takeFault(state, route.operation, resolved ? [route.modelId, resolved.model.id] : [route.modelId]);
  if (fault?.type === 'drop') {
    dropConnection(ctx.req);
    return;
  }
  const faultError = fault ? faultException(fault) : undefined;
  if (faultError) {
    await sleep(state.latency.fixedMs);
    sendError(
      ctx,
      faultError,
      fault?.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) },
    );
    return;
  }
  const call: RuntimeCall = {
    state,
    ctx,
    principal,
    region: requestRegion(state, signableOf(ctx)),
    operation: route.operation,
    modelId: route.modelId,
    faultLatencyMs: fault?.type === 'latency' ? (fault.latencyMs ?? 0) : 0,
    streamFault: fault?.type === 'stream-error' ? fault : undefined,
  };
  // CountTokens takes "the identifier or ARN of the foundation model" and invokes nothing, so the
  // on-demand throughput rule does not apply: its supported list (Claude 3.5 Haiku, 3.7 Sonnet, Sonnet 4,
  // Opus 4, ...) is mostly profile-only models, counted under their foundation ids.
  const { model } = resolveModel(route.modelId, { countOnly: route.operation === 'CountTokens' });
  if (state.identity.deniedModels.includes(model.id)) {
    throw new BedrockException(
      'AccessDeniedException',
      "You don't have access to the model with the specified model ID.",
      403,
    );
  }
  switch (route.operation) {
    case 'Converse':
      return converse(call, model);
    case 'ConverseStream':
      return converseStream(call, model);
    case 'CountTokens':
      return countTokensOperation(call, model);
    case 'InvokeModel':
      return handleInvoke(call, model, false);
    case 'InvokeModelWithResponseStream':
      return handleInvoke(call, model, true);
  }
}

/** The account and region whose prompt cache a call uses. */
function cacheWhere(call: RuntimeCall): { accountId: string; region: string } {
  return { accountId: call.principal.accountId, region: call.region };
}

async function converse(call: RuntimeCall, model: CatalogModel): Promise<void> {
  if (model.type !== 'chat') throw unsupportedOperationForModel();
  const body = parseJsonBody(call.ctx.body);
  const request = validateConverseRequest(body, model, {
    stream: false,
    signatureSecret: call.state.signatureSecret,
  });
  countGuardrail(call.state, body);
  const output = generateConverseOutput(call.state, model, request, cacheWhere(call));
  await sleep(call.state.latency.fixedMs + call.faultLatencyMs);
  sendJson(call.ctx, 200, converseResponseBody(output, elapsedMs(call.ctx)));
}

/** Counts the guardrail a valid Converse request carried (`guardrails` in /_emulator/stats). */
function countGuardrail(state: RuntimeCall['state'], body: unknown): void {
  const config =
    typeof body === 'object' && body !== null ? (body as { guardrailConfig?: unknown }).guardrailConfig : undefined;
  if (typeof config !== 'object' || config === null) return;
  const { guardrailIdentifier, guardrailVersion } = config as {
    guardrailIdentifier?: unknown;
    guardrailVersion?: unknown;
  };
  state.count('guardrails', `${String(guardrailIdentifier)}:${String(guardrailVersion)}`);
}

/** The Converse response body of a generated output (also a batch record's `modelOutput`). */
export function converseResponseBody(
  output: ReturnType<typeof generateConverseOutput>,
  latencyMs: number,
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    output: { message: { role: 'assistant', content: output.content } },
    stopReason: output.stopReason,
    usage: output.usage,
    metrics: { latencyMs },
  };
  if (output.additionalModelResponseFields) body.additionalModelResponseFields = output.additionalModelResponseFields;
  // Bedrock reports the performance and service tier a request was served with (Converse response members).
  if (output.performanceConfig) body.performanceConfig = output.performanceConfig;
  if (output.serviceTier) body.serviceTier = output.serviceTier;
  return body;
}

async function converseStream(call: RuntimeCall, model: CatalogModel): Promise<void> {
  if (model.type !== 'chat') throw unsupportedOperationForModel();
  const body = parseJsonBody(call.ctx.body);
  const request = validateConverseRequest(body, model, {
    stream: true,
    signatureSecret: call.state.signatureSecret,
  });
  countGuardrail(call.state, body);
  const output = generateConverseOutput(call.state, model, request, cacheWhere(call));
  await writeEventStream(
    call,
    converseStreamEvents(output, () => elapsedMs(call.ctx)),
  );
}

async function countTokensOperation(call: RuntimeCall, model: CatalogModel): Promise<void> {
  // CountTokens is offered for Anthropic Claude models (Bedrock User Guide, "count tokens").
  if (model.family !== 'anthropic') {
    throw validationException("The provided model doesn't support counting tokens.");
  }
  const body = parseJsonBody(call.ctx.body);
  const input = typeof body === 'object' && body !== null ? (body as { input?: unknown }).input : undefined;
  if (typeof input !== 'object' || input === null) {
    throw validationException(
      "1 validation error detected: Value null at 'input' failed to satisfy constraint: Member must not be null",
    );
  }
  const { converse: conv, invokeModel } = input as { converse?: unknown; invokeModel?: unknown };
  let inputTokens: number;
  if (conv !== undefined && invokeModel === undefined) {
    const request = validateConverseRequest(conv, model, {
      stream: false,
      signatureSecret: call.state.signatureSecret,
    });
    inputTokens = promptUnits(request).reduce((sum, u) => sum + u.tokens, 0);
  } else if (invokeModel !== undefined && conv === undefined) {
    const b64 =
      typeof invokeModel === 'object' && invokeModel !== null ? (invokeModel as { body?: unknown }).body : undefined;
    if (b64 === undefined || b64 === null) {
      // InvokeModelTokensRequest.body is required in the service model.
      throw constraintException([
        { path: 'input.invokeModel.body', value: null, constraint: 'Member must not be null' },
      ]);
    }
    if (typeof b64 !== 'string')
      throw validationException('Malformed input request, please reformat your input and try again.');
    // The body is the Anthropic Messages body InvokeModel takes: validated and counted as InvokeModel
    // would bill it, so the count matches the reply's input_tokens.
    const request = anthropicBodyToConverse(
      parseJsonBody(Buffer.from(b64, 'base64')),
      model,
      call.state.signatureSecret,
    );
    inputTokens = promptUnits(request).reduce((sum, u) => sum + u.tokens, 0);
  } else {
    throw validationException(
      'Malformed input request: exactly one member of the union CountTokensInput must be set at input, please reformat your input and try again.',
    );
  }
  await sleep(call.state.latency.fixedMs + call.faultLatencyMs);
  sendJson(call.ctx, 200, { inputTokens });
}
