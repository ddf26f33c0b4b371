/**
 * `POST /v1/chat/completions` on Bedrock Converse / ConverseStream (docs/architecture.md, request path):
 * parse → authorise the model → fetch remote media → toConverseRequest → upstream → translate → reply.
 * Streams are written as SSE; an error after the first byte becomes a final SSE error event without
 * `[DONE]`; a caller that disconnects aborts the upstream call.
 */
import { performance } from 'node:perf_hooks';
import type { Attributes } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CompiledUsagePolicy, ServedModel } from '../../config/index.js';
import { GatewayError } from '../../errors/index.js';
import { parseUpstreamJson } from '../../json/index.js';
import { type ActualUsage, type Admission, LIMITS_DEFAULTS, LimitExceededError } from '../../limits/index.js';
import { getCapabilities } from '../../models/index.js';
import { affinityKey, TARGET_HEADER } from '../../routing/index.js';
import { AIGW_ATTR, GEN_AI, startGenAiSpan, usageAttributes } from '../../telemetry/index.js';
import {
  ChatStreamTranslator,
  type ConversePlan,
  fromConverseResponse,
  newChatCompletionId,
  parseChatCompletionRequest,
  remoteMediaTargets,
  streamErrorPayload,
  toConverseRequest,
} from '../../translate/chat/index.js';
import { TextDeltaEvent, type UpstreamCall, type UpstreamEvent } from '../../upstream/index.js';
import type { ConverseResponse, TokenUsage } from '../../wire/bedrock/index.js';
import type { ChatCompletionRequest } from '../../wire/openai/index.js';
import { authenticateHook, rejectOtherMethods } from '../app.js';
import { routeForSurface } from '../auth.js';
import type { GatewayEventStream, RequestState, ServerContext } from '../context.js';
import { toGatewayError } from '../errors.js';
import { namedRoute, ROUTE_NAME_PREFIX, runOnRoute, useTarget } from '../model-route.js';
import { SseBatch, SseWriter } from '../sse.js';
import { genAiOf, recordTokens } from '../usage.js';
import type { RouteModule } from './types.js';

export const chatRoutes: RouteModule = {
  name: 'chat',
  register(app, ctx) {
    app.post(
      '/v1/chat/completions',
      { onRequest: authenticateHook(ctx), config: { metricRoute: 'chat' } },
      (request, reply) => chatCompletion(ctx, request, reply),
    );
    rejectOtherMethods(app, '/v1/chat/completions', ['POST']);
  },
};

async function chatCompletion(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const state = request.aigw;
  const chat = parseChatCompletionRequest(request.body);
  // `route/<name>`: a ModelRoute; the first target stands in until the router chose one.
  const named = chat.model.startsWith(ROUTE_NAME_PREFIX)
    ? namedRoute(state, chat.model, 'chat', '/v1/chat/completions')
    : undefined;
  let route = named
    ? useTarget(state, named.targets[0]!.served)
    : routeForSurface(state, chat.model, 'chat', '/v1/chat/completions');

  const span = state.span;
  span?.setAttributes({ [AIGW_ATTR.model]: chat.model, [AIGW_ATTR.account]: route.account.name });

  // The caller going away (socket closed before the response finished) aborts media downloads,
  // retries and the upstream request itself.
  const abort = new AbortController();
  const res = reply.raw;
  const onClose = () => {
    if (!res.writableFinished) abort.abort();
  };
  res.once('close', onClose);

  // Targets carry the message part of each URL, so a refused download names it in `param`.
  const urls = remoteMediaTargets(chat);
  let resolvedMedia: Awaited<ReturnType<NonNullable<ServerContext['mediaFetcher']>['fetchAll']>> | undefined;
  if (urls.length > 0) {
    if (!ctx.mediaFetcher) {
      throw new GatewayError(
        'invalid_value',
        'Image URLs are not fetched by this gateway; send images as data: URLs.',
        {
          param: 'messages',
        },
      );
    }
    resolvedMedia = await ctx.mediaFetcher.fetchAll(urls, abort.signal);
  }
  const translate = (target: ServedModel): ConversePlan =>
    toConverseRequest(chat, { model: target.model, capabilities: getCapabilities(target.model), resolvedMedia });

  /**
   * Everything one target needs: its usage policies and their guardrail, the request body, the GenAI span,
   * the admission, and the call itself (resolved for a stream once its first event arrived, so a failure
   * before that still reached nobody).
   */
  const attempt = async (target: ServedModel, plan: ConversePlan, limits?: UpstreamCall['limits']) => {
    const policies = ctx.limiter?.policiesFor(state.snapshot!, state.caller!, target) ?? NO_POLICIES;
    // A policy's guardrail is mandatory for the requests it matches: the caller may not bring its own.
    const guardrailPolicy = policies.length > 0 ? policies.find((p) => p.guardrail) : undefined;
    if (guardrailPolicy && chat.bedrock?.guardrailConfig) {
      throw new GatewayError(
        'invalid_value',
        `bedrock.guardrailConfig is not allowed: usage policy '${guardrailPolicy.name}' sets the guardrail for this model.`,
        { param: 'bedrock.guardrailConfig' },
      );
    }
    // A translation may serve several targets (routes): the policy's guardrail goes on a copy.
    const converse = guardrailPolicy?.guardrail
      ? { ...plan.body, guardrailConfig: { ...guardrailPolicy.guardrail } }
      : plan.body;
    const headers: Record<string, string> = { 'x-request-id': request.id };
    if (plan.warnings.length > 0) headers['x-aigateway-warnings'] = headerSafe(plan.warnings.join('; '));
    // Tracing off: no span and no attribute objects on this path.
    const traced = span
      ? startGenAiSpan(ctx.tracer, span, {
          operation: 'chat',
          modelId: target.model.modelId,
          servedModel: chat.model,
          account: target.account.name,
          region: target.model.region,
          attributes: requestAttributes(chat, ctx.captureContent === true),
        })
      : undefined;
    const body = JSON.stringify(converse);
    let admission: Admission | undefined;
    if (policies.length > 0 && ctx.limiter) {
      try {
        admission = await ctx.limiter.admit(policies, state.caller!, target.model, {
          // The Converse body's size stands in for the prompt (docs/resources.md, UsagePolicy semantics).
          inputTokens: Math.ceil(body.length / LIMITS_DEFAULTS.charsPerToken),
          outputTokens: ctx.limiter.outputReserve(
            converse.inferenceConfig?.maxTokens ?? chat.max_completion_tokens ?? chat.max_tokens ?? undefined,
          ),
        });
      } catch (err) {
        // A route may still find a target within the caller's limits: its headers are set if it does not.
        if (err instanceof LimitExceededError && !named) reply.headers(err.headers);
        traced?.fail(errorCode(err));
        throw err;
      }
      Object.assign(headers, admission.headers);
    }
    // Every property present, undefined when unused: one object shape for the upstream client to read.
    const call: UpstreamCall = {
      onAttempt: traced?.onAttempt,
      account: target.account,
      credentials: target.credentials,
      region: target.model.region,
      modelId: target.model.modelId,
      operation: plan.stream ? ('converse-stream' as const) : ('converse' as const),
      body,
      signal: abort.signal,
      tally: state,
      limits,
    };
    state.stream = plan.stream;
    try {
      if (!plan.stream) {
        const upstream = await ctx.upstream.send(call);
        return { plan, guardrailPolicy, headers, traced, admission, upstream, stream: undefined };
      }
      // Errors up to here (including retries exhausted before the first byte) are ordinary JSON errors.
      const stream = await ctx.upstream.stream(call);
      return { plan, guardrailPolicy, headers, traced, admission, upstream: undefined, stream };
    } catch (err) {
      // A failed call used no tokens; it still counts as a request.
      admission?.settle(NO_USAGE);
      traced?.fail(errorCode(err));
      throw err;
    }
  };

  let attempted: Awaited<ReturnType<typeof attempt>>;
  // A routed stream's target is judged when the stream ends (RoutedRequest.streamEnded).
  let streamEnded: ((outcome: { error?: unknown; abandoned?: boolean }) => void) | undefined;
  if (!named) attempted = await attempt(route, translate(route));
  else {
    // One translation per model id: targets in other accounts or regions usually share it.
    const plans = new Map<string, ConversePlan>();
    const planFor = (target: ServedModel): ConversePlan => {
      let plan = plans.get(target.model.modelId);
      if (!plan) {
        plan = translate(target);
        plans.set(target.model.modelId, plan);
      }
      return plan;
    };
    const first = planFor(route);
    const key = named.served.route.promptCacheAffinity ? affinityKey(first.body) : undefined;
    const { result, routed } = await runOnRoute(
      ctx,
      state,
      reply,
      named,
      { stream: first.stream, signal: abort.signal, affinityKey: key },
      (target, limits) => attempt(target, planFor(target), limits),
    );
    attempted = result;
    route = state.modelRoute!;
    attempted.headers[TARGET_HEADER] = routed.target.servedName;
    if (first.stream) streamEnded = (outcome) => routed.streamEnded(outcome);
  }
  const { plan, guardrailPolicy, headers, traced, admission } = attempted;
  const responseOptions = {
    id: newChatCompletionId(),
    created: Math.floor(Date.now() / 1000),
    model: chat.model,
    plan,
  };

  if (!plan.stream) {
    let completion: ReturnType<typeof fromConverseResponse>;
    try {
      const upstream = attempted.upstream!;
      state.upstreamMs = upstream.upstreamMs;
      const converse = parseConverseResponse(upstream.body);
      completion = fromConverseResponse(converse, responseOptions);
      recordUsage(ctx, state, route, converse.usage);
      admission?.settle(actualUsage(converse.usage));
      if (guardrailPolicy && converse.stopReason === 'guardrail_intervened') {
        ctx.limiter?.guardrailIntervened(guardrailPolicy.name);
      }
      if (traced) {
        const attributes = responseAttributes(completion.id, completion.choices[0]?.finish_reason, converse.usage);
        if (ctx.captureContent) attributes[GEN_AI.outputMessages] = JSON.stringify(completion.choices);
        traced.succeed(attributes);
      }
    } catch (err) {
      // A failed call used no tokens; it still counts as a request.
      admission?.settle(NO_USAGE);
      traced?.fail(errorCode(err));
      throw err;
    }
    reply.headers(headers);
    await reply.type('application/json').send(JSON.stringify(completion));
    return;
  }

  const stream = attempted.stream!;
  if (abort.signal.aborted) {
    // The caller left while the upstream was answering the headers; nobody will read the stream.
    admission?.settle(undefined);
    stream.cancel();
    streamEnded?.({ abandoned: true });
    traced?.fail('client_closed_request');
    throw new GatewayError('client_closed_request', 'The client closed the connection.');
  }
  abort.signal.addEventListener('abort', () => stream.cancel(), { once: true });
  // Past the shutdown grace period the stream is cut; the caller gets a `shutting_down` error event.
  let cutByShutdown = false;
  const onGraceOver = () => {
    cutByShutdown = true;
    stream.cancel();
  };
  if (ctx.activity.graceOver.aborted) onGraceOver();
  else ctx.activity.graceOver.addEventListener('abort', onGraceOver, { once: true });
  reply.hijack();
  const sse = new SseWriter(res);
  // A hijacked reply bypasses fastify's header writing: carry over what hooks set (request id, and
  // `connection: close` while draining).
  const head: Record<string, string | number | string[]> = {};
  const hookHeaders = reply.getHeaders();
  for (const name in hookHeaders) {
    const value = hookHeaders[name];
    if (value !== undefined) head[name] = value;
  }
  for (const name in headers) head[name] = headers[name]!;
  sse.start(head);
  const translator = new ChatStreamTranslator(responseOptions);
  let firstChunkAt: number | undefined;
  let firstTokenAt: number | undefined;
  let failure: string | undefined;
  let upstreamError: unknown;
  // SSE events translated but not yet written: the events of one upstream read go out in one write (the first
  // one together with the response headers), and what precedes a failure is written before its error event.
  const pending = new SseBatch(translator.textSplice());
  // The first content chunk of a read that brought more waits for the rest of that read, so the read is one
  // socket write, unless translating the rest takes FIRST_CONTENT_HOLD_MS; then it goes out at that point.
  let holding = false;
  try {
    for await (const events of eventBatches(stream)) {
      for (let i = 0; i < events.length; i++) {
        if (holding && (i & 7) === 0 && performance.now() - firstTokenAt! >= FIRST_CONTENT_HOLD_MS) {
          // Translating the rest of this read takes long: the first content goes out now.
          holding = false;
          await sse.writeText(pending.take());
          sse.flush();
        }
        const event = events[i]!;
        if (event instanceof TextDeltaEvent && translator.splicesText) {
          // Most events of a stream: the chunk is the translator's fixed text around the delta's own bytes.
          if (event.start === event.end) continue; // no text, no chunk (as the translator does)
          pending.text(event);
        } else {
          const chunks = translator.pushEvent(event.type, event.payload);
          if (
            guardrailPolicy &&
            event.type === 'messageStop' &&
            (event.payload as { stopReason?: string }).stopReason === 'guardrail_intervened'
          ) {
            ctx.limiter?.guardrailIntervened(guardrailPolicy.name);
          }
          if (chunks.length === 0) continue;
          if (firstChunkAt === undefined) {
            // The role chunk answers Bedrock's messageStart: compare it with the first upstream event.
            firstChunkAt = performance.now();
            const upstreamFirst = stream.timing.firstEventMs;
            if (upstreamFirst !== undefined) {
              ctx.metrics.observeAddedFirstByte('chat', (firstChunkAt - state.startedAt - upstreamFirst) / 1000);
            }
          }
          pending.events(chunks);
        }
        if (firstTokenAt === undefined && event.type === 'contentBlockDelta') {
          firstTokenAt = performance.now();
          holding = i < events.length - 1;
          const seconds = (firstTokenAt - state.startedAt) / 1000;
          ctx.metrics.observeFirstToken(route.account.name, route.model.name, seconds);
          genAiOf(ctx.metrics, state)?.timeToFirstToken(seconds);
        }
      }
      holding = false;
      // The last read (the body already ended) goes out with what the end adds and `[DONE]`, in one write.
      if (stream.exhausted) continue;
      await sse.writeText(pending.take());
      if (abort.signal.aborted) {
        failure = 'client_closed_request';
        return;
      }
    }
    pending.events(translator.end());
    state.upstreamMs = stream.timing.totalMs;
    sse.end(pending);
    // Time per output token after the first, of streams that completed (the convention's successful responses).
    const output = translator.usage?.completion_tokens ?? 0;
    if (firstTokenAt !== undefined && output > 1)
      genAiOf(ctx.metrics, state)?.timePerOutputToken((performance.now() - firstTokenAt) / 1000 / (output - 1));
  } catch (err) {
    stream.cancel();
    if (abort.signal.aborted || sse.closed) {
      failure = 'client_closed_request';
      return; // the caller left; nobody to tell
    }
    if (!cutByShutdown) upstreamError = err;
    const { error, internal } = cutByShutdown
      ? {
          error: new GatewayError(
            'shutting_down',
            'The gateway is shutting down and ended this stream; retry the request.',
          ),
          internal: false,
        }
      : toGatewayError(err, ctx.options);
    failure = error.code;
    state.errorType = error.code;
    if (internal) request.log.error({ err, requestId: request.id }, 'stream failed');
    else
      request.log.warn({ code: error.code, requestId: request.id, error: error.message }, 'stream failed after start');
    state.metricStatus = error.status;
    sse.fail(streamErrorPayload(error), pending);
  } finally {
    streamEnded?.(
      failure === 'client_closed_request' || cutByShutdown
        ? { abandoned: true }
        : upstreamError === undefined
          ? {}
          : { error: upstreamError },
    );
    if (failure === 'client_closed_request') state.errorType = failure;
    recordStreamUsage(ctx, state, route, translator);
    // A stream cut before Bedrock reported usage keeps its reservation (the tokens may have been used).
    admission?.settle(streamActualUsage(translator));
    res.off('close', onClose);
    ctx.activity.graceOver.removeEventListener('abort', onGraceOver);
    if (failure) span?.setAttribute('error.type', failure);
    if (traced) {
      const attributes = responseAttributes(
        responseOptions.id,
        translator.finishReason,
        bedrockUsage(translator.usage),
      );
      const firstEventMs = stream.timing.firstEventMs;
      if (firstEventMs !== undefined) attributes[GEN_AI.responseTimeToFirstChunk] = firstEventMs / 1000;
      if (failure) traced.fail(failure, attributes);
      else traced.succeed(attributes);
    }
  }
}

/**
 * GenAI request attributes: sampling settings, stream flag and output type. Message text only when
 * content capture is enabled (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT).
 */
function requestAttributes(chat: ChatCompletionRequest, captureContent: boolean): Attributes {
  const attributes: Attributes = {
    [GEN_AI.requestStream]: chat.stream === true,
    [GEN_AI.outputType]:
      chat.response_format?.type === 'json_object' || chat.response_format?.type === 'json_schema' ? 'json' : 'text',
  };
  const maxTokens = chat.max_completion_tokens ?? chat.max_tokens;
  if (typeof maxTokens === 'number') attributes[GEN_AI.requestMaxTokens] = maxTokens;
  if (typeof chat.temperature === 'number') attributes[GEN_AI.requestTemperature] = chat.temperature;
  if (typeof chat.top_p === 'number') attributes[GEN_AI.requestTopP] = chat.top_p;
  if (typeof chat.n === 'number' && chat.n !== 1) attributes[GEN_AI.requestChoiceCount] = chat.n;
  if (typeof chat.seed === 'number') attributes[GEN_AI.requestSeed] = chat.seed;
  if (captureContent) attributes[GEN_AI.inputMessages] = JSON.stringify(chat.messages);
  return attributes;
}

/** GenAI response attributes: id, finish reason and usage (cache tokens included). */
function responseAttributes(id: string, finish: string | null | undefined, usage: TokenUsage | undefined): Attributes {
  const attributes: Attributes = { [GEN_AI.responseId]: id };
  if (finish) attributes[GEN_AI.responseFinishReasons] = [finish];
  if (usage)
    Object.assign(
      attributes,
      usageAttributes({
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        cacheReadTokens: usage.cacheReadInputTokens ?? 0,
        cacheWriteTokens: usage.cacheWriteInputTokens ?? 0,
      }),
    );
  return attributes;
}

/** The events of a stream one upstream read at a time (event by event from streams without `batches`). */
function eventBatches(stream: GatewayEventStream): AsyncIterable<readonly UpstreamEvent[]> {
  return stream.batches ? stream.batches() : oneByOne(stream);
}

async function* oneByOne(stream: GatewayEventStream): AsyncGenerator<readonly UpstreamEvent[]> {
  for await (const event of stream) yield [event];
}

function errorCode(err: unknown): string {
  return err instanceof GatewayError ? err.code : 'internal_error';
}

function parseConverseResponse(body: Uint8Array): ConverseResponse {
  try {
    const parsed = parseUpstreamJson(body);
    if (typeof parsed === 'object' && parsed !== null && 'output' in parsed) return parsed as ConverseResponse;
  } catch {
    // fall through
  }
  throw new GatewayError('upstream_error', 'Bedrock returned a response the gateway could not read.');
}

function recordUsage(ctx: ServerContext, state: RequestState, route: ServedModel, usage: TokenUsage | undefined): void {
  if (!usage) return;
  recordTokens(ctx, state, route, {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cacheReadTokens: usage.cacheReadInputTokens ?? 0,
    cacheWriteTokens: usage.cacheWriteInputTokens ?? 0,
  });
}

function recordStreamUsage(
  ctx: ServerContext,
  state: RequestState,
  route: ServedModel,
  translator: ChatStreamTranslator,
): void {
  recordUsage(ctx, state, route, bedrockUsage(translator.usage));
}

/** A stream's OpenAI usage back in Bedrock's split: OpenAI's prompt_tokens includes cache reads and writes. */
function bedrockUsage(usage: ChatStreamTranslator['usage']): TokenUsage | undefined {
  if (!usage) return undefined;
  const read = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const write = usage.cache_creation_input_tokens ?? 0;
  return {
    inputTokens: usage.prompt_tokens - read - write,
    outputTokens: usage.completion_tokens,
    totalTokens: usage.total_tokens,
    cacheReadInputTokens: read,
    cacheWriteInputTokens: write,
  };
}

/**
 * How long the first content chunk may wait for the rest of its upstream read (checked every 8 events). A read
 * of 50 tokens translates in well under this, and sending it in one write instead of two spares the caller a
 * wake-up and the gateway a socket write per stream; a read long enough to take this still sends its first
 * token early.
 */
const FIRST_CONTENT_HOLD_MS = 0.1;

const NO_POLICIES: readonly CompiledUsagePolicy[] = [];
const NO_USAGE: ActualUsage = { inputTokens: 0, outputTokens: 0 };

function actualUsage(usage: TokenUsage | undefined): ActualUsage | undefined {
  if (!usage) return undefined;
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cacheReadTokens: usage.cacheReadInputTokens ?? 0,
    cacheWriteTokens: usage.cacheWriteInputTokens ?? 0,
  };
}

function streamActualUsage(translator: ChatStreamTranslator): ActualUsage | undefined {
  const usage = translator.usage;
  if (!usage) return undefined;
  const read = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const write = usage.cache_creation_input_tokens ?? 0;
  return {
    inputTokens: usage.prompt_tokens - read - write,
    outputTokens: usage.completion_tokens,
    cacheReadTokens: read,
    cacheWriteTokens: write,
  };
}

/** Header values must be visible ASCII; warnings are prose and may quote anything. */
function headerSafe(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > 2000 ? `${ascii.slice(0, 1997)}...` : ascii;
}
