/**
 * Shared by the embeddings and images routes: several InvokeModel calls for one OpenAI request (Titan
 * embeds one text per call, Cohere 96, Nova/Titan Image 5 images, Stability 1), run with a concurrency
 * bound, results kept in request order, and the first failure failing the whole request cleanly (the
 * remaining calls are aborted, so a partial answer is never returned as success).
 */
import { performance } from 'node:perf_hooks';
import type { Attributes, Span } from '@opentelemetry/api';
import type { FastifyReply } from 'fastify';
import type { ServedModel } from '../../config/index.js';
import { GatewayError } from '../../errors/index.js';
import { parseUpstreamJson } from '../../json/index.js';
import { AIGW_ATTR, GEN_AI, type GenAiOperation, startGenAiSpan } from '../../telemetry/index.js';
import type { UpstreamCall, UpstreamResponse } from '../../upstream/index.js';
import type { ServerContext } from '../context.js';

/**
 * At most this many InvokeModel calls of one request are in flight at once: enough to hide Bedrock's
 * per-call latency for a 100-text Titan batch, few enough not to trip the account's per-model
 * requests-per-minute quota with one request.
 */
export const INVOKE_FAN_OUT_CONCURRENCY = 8;

/** An abort signal that fires when the caller disconnects before the response is written. */
export function callerAbortSignal(reply: FastifyReply): {
  signal: AbortSignal;
  abort: () => void;
  release: () => void;
} {
  const controller = new AbortController();
  const res = reply.raw;
  const onClose = () => {
    if (!res.writableFinished) controller.abort();
  };
  res.once('close', onClose);
  return { signal: controller.signal, abort: () => controller.abort(), release: () => res.off('close', onClose) };
}

/** How the calls of a fan-out are traced: one GenAI client span per InvokeModel call. */
export interface FanOutTrace {
  /** The request's server span; undefined when tracing is off (then nothing is created). */
  parent: Span | undefined;
  operation: GenAiOperation;
  /** The served model name the caller used. */
  servedModel: string;
  /** Request attributes shared by every call (output type, encoding format, ...). */
  attributes?: Attributes;
}

/** The outcome of a fan-out: responses in body order and the wall time spent waiting on Bedrock. */
export interface FanOutResult {
  responses: UpstreamResponse[];
  upstreamMs: number;
}

/** Sends every body as an InvokeModel call of the route's model, `INVOKE_FAN_OUT_CONCURRENCY` at a time. */
export async function invokeAll(
  ctx: ServerContext,
  route: ServedModel,
  bodies: readonly unknown[],
  callerSignal: AbortSignal,
  tracing?: FanOutTrace,
  tally?: { attempts: number },
  /** Per-call limits of a ModelRoute target (see UpstreamCall.limits). */
  limits?: UpstreamCall['limits'],
): Promise<FanOutResult> {
  // A failed call aborts its siblings too, not only the caller going away.
  const local = new AbortController();
  const onCallerAbort = () => local.abort();
  callerSignal.addEventListener('abort', onCallerAbort, { once: true });
  const responses = new Array<UpstreamResponse>(bodies.length);
  const started = performance.now();
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < bodies.length) {
      const index = next++;
      const traced = tracing
        ? startGenAiSpan(ctx.tracer, tracing.parent, {
            operation: tracing.operation,
            modelId: route.model.modelId,
            servedModel: tracing.servedModel,
            account: route.account.name,
            region: route.model.region,
            attributes: { ...tracing.attributes, [AIGW_ATTR.callIndex]: index },
          })
        : undefined;
      try {
        const response = await ctx.upstream.send({
          account: route.account,
          credentials: route.credentials,
          region: route.model.region,
          modelId: route.model.modelId,
          operation: 'invoke',
          body: JSON.stringify(bodies[index]),
          signal: local.signal,
          ...(tally ? { tally } : {}),
          ...(limits ? { limits } : {}),
          ...(traced ? { onAttempt: traced.onAttempt } : {}),
        });
        responses[index] = response;
        traced?.succeed(invokeUsageAttributes(response));
      } catch (err) {
        // A call aborted because a sibling failed is cancelled, not failed on its own.
        traced?.fail(failure !== undefined ? 'cancelled' : err instanceof GatewayError ? err.code : 'internal_error');
        if (failure === undefined) failure = err;
        local.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(INVOKE_FAN_OUT_CONCURRENCY, bodies.length) }, worker));
  } finally {
    callerSignal.removeEventListener('abort', onCallerAbort);
  }
  if (failure !== undefined) throw failure;
  tracing?.parent?.setAttribute(AIGW_ATTR.upstreamCalls, bodies.length);
  return { responses, upstreamMs: performance.now() - started };
}

/** Token counts Bedrock reports in InvokeModel's response headers, as GenAI usage attributes. */
function invokeUsageAttributes(response: UpstreamResponse): Attributes {
  const attributes: Attributes = {};
  const input = Number(response.headers['x-amzn-bedrock-input-token-count']);
  const output = Number(response.headers['x-amzn-bedrock-output-token-count']);
  if (response.headers['x-amzn-bedrock-input-token-count'] !== undefined && Number.isFinite(input))
    attributes[GEN_AI.usageInputTokens] = input;
  if (response.headers['x-amzn-bedrock-output-token-count'] !== undefined && Number.isFinite(output))
    attributes[GEN_AI.usageOutputTokens] = output;
  return attributes;
}

/** Parses an InvokeModel JSON body; anything unreadable is a 502, never a crash. */
export function readJsonBody(response: UpstreamResponse): unknown {
  let parsed: unknown;
  try {
    parsed = parseUpstreamJson(response.body);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined)
    throw new GatewayError('upstream_error', 'Bedrock returned a response the gateway could not read.');
  return parsed;
}
