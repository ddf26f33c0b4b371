/**
 * InvokeModel / InvokeModelWithResponseStream routing (bedrock-wire.md §6): the native body goes to the
 * handler registered for the model's catalog family in `models.ts`; the reply carries the
 * `X-Amzn-Bedrock-*` token-count and latency headers. Auth, faults and latency were applied by the
 * runtime front door before this runs.
 */

import { performance } from 'node:perf_hooks';
import { elapsedMs, parseJsonBody, type RuntimeCall, writeEventStream } from '../call.js';
import type { CatalogModel } from '../catalog.js';
import { constraintException, validationException } from '../errors.js';
import { sendBytes, sleep } from '../reply.js';
import { INVOKE_HANDLERS } from './models.js';
import type { InvokeContext, InvokeHandler, InvokeResult } from './types.js';

export { INVOKE_HANDLERS } from './models.js';
export type { InvokeContext, InvokeHandler, InvokeResult } from './types.js';

/** The handler of a model's family, or the ValidationException Bedrock gives for a non-invokable model. */
export function invokeHandlerFor(model: CatalogModel): InvokeHandler {
  const handler = INVOKE_HANDLERS[model.family];
  if (!handler) {
    throw validationException(
      `The model ${model.id} does not support the InvokeModel API in this emulator. Use the Converse API instead.`,
    );
  }
  return handler;
}

/** Header-bound request members with enum values (service model), by header and member name. */
const ENUM_HEADERS: ReadonlyArray<readonly [header: string, member: string, values: readonly string[]]> = [
  ['x-amzn-bedrock-trace', 'trace', ['ENABLED', 'DISABLED', 'ENABLED_FULL']],
  ['x-amzn-bedrock-performanceconfig-latency', 'performanceConfigLatency', ['standard', 'optimized']],
  ['x-amzn-bedrock-service-tier', 'serviceTier', ['priority', 'default', 'flex', 'reserved']],
];

/** Rejects out-of-enum values the way the service validates its members (generic constraint form). */
function checkEnumHeaders(headers: Readonly<Record<string, string | undefined>>): void {
  for (const [header, member, values] of ENUM_HEADERS) {
    const value = headers[header];
    if (value !== undefined && !values.includes(value)) {
      throw constraintException([
        { path: member, value, constraint: `Member must satisfy enum value set: [${values.join(', ')}]` },
      ]);
    }
  }
}

/**
 * The `chunk` events of a stream: each native event (or the whole body) is one chunk with its JSON,
 * base64, in `bytes` (§5.1). Bedrock adds `amazon-bedrock-invocationMetrics` to the last chunk of every
 * model's stream; its latencies are taken when the first and the last chunk are written.
 */
function chunkEvents(
  call: RuntimeCall,
  result: InvokeResult,
): { type: string; payload: Record<string, unknown>; isDelta: boolean }[] {
  const chunks: Record<string, unknown>[] = result.streamChunks ?? [result.body as Record<string, unknown>];
  let firstByteLatency: number | undefined;
  const encode = (chunk: Record<string, unknown>): Record<string, unknown> => ({
    bytes: Buffer.from(JSON.stringify(chunk)).toString('base64'),
  });
  return chunks.map((chunk, i) => ({
    type: 'chunk',
    isDelta: true,
    get payload() {
      firstByteLatency ??= elapsedMs(call.ctx);
      if (i < chunks.length - 1) return encode(chunk);
      return encode({
        ...chunk,
        'amazon-bedrock-invocationMetrics': {
          inputTokenCount: result.inputTokens ?? 0,
          outputTokenCount: result.outputTokens ?? 0,
          invocationLatency: elapsedMs(call.ctx),
          firstByteLatency,
        },
      });
    },
  }));
}

/** Handles an InvokeModel (or, with `stream`, InvokeModelWithResponseStream) call. */
export async function handleInvoke(call: RuntimeCall, model: CatalogModel, stream: boolean): Promise<void> {
  const { ctx, state } = call;
  // InvokeModel requires a JSON body (Content-Type application/json, §6); the stream variant may omit it.
  const contentType = ctx.headers['content-type'];
  if (!stream && contentType !== undefined && !contentType.toLowerCase().startsWith('application/json')) {
    throw validationException(`The provided Content-Type '${contentType}' is not supported.`);
  }
  const accept = (stream ? ctx.headers['x-amzn-bedrock-accept'] : ctx.headers.accept) ?? 'application/json';
  if (!['application/json', '*/*'].includes(accept.split(';')[0]?.trim().toLowerCase() ?? '')) {
    throw validationException(`The provided Accept Type '${accept}' is not supported.`);
  }
  checkEnumHeaders(ctx.headers);
  if (stream && !model.streaming) throw validationException('The model is unsupported for streaming.');
  const handler = invokeHandlerFor(model);
  const invokeContext: InvokeContext = {
    modelId: call.modelId,
    foundationModelId: model.id,
    family: model.family,
    accept,
    model,
    state,
    where: { accountId: call.principal.accountId, region: call.region },
  };
  const result = handler(parseJsonBody(ctx.body), invokeContext);
  const headers: Record<string, string> = {};
  if (result.inputTokens !== undefined) headers['x-amzn-bedrock-input-token-count'] = String(result.inputTokens);
  if (result.outputTokens !== undefined) headers['x-amzn-bedrock-output-token-count'] = String(result.outputTokens);
  const performanceLatency = ctx.headers['x-amzn-bedrock-performanceconfig-latency'];
  if (performanceLatency) headers['x-amzn-bedrock-performanceconfig-latency'] = performanceLatency;
  const serviceTier = ctx.headers['x-amzn-bedrock-service-tier'];
  if (serviceTier) headers['x-amzn-bedrock-service-tier'] = serviceTier;
  if (stream) {
    await writeEventStream(call, chunkEvents(call, result), {
      'x-amzn-bedrock-content-type': 'application/json',
      ...headers,
    });
    return;
  }
  await sleep(state.latency.fixedMs + call.faultLatencyMs);
  headers['x-amzn-bedrock-invocation-latency'] = String(Math.max(1, Math.round(performance.now() - ctx.startedAt)));
  sendBytes(ctx, 200, JSON.stringify(result.body), { 'content-type': 'application/json', ...headers });
}
