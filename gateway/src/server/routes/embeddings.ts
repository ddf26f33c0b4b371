/**
 * `POST /v1/embeddings` on InvokeModel (Titan Text Embeddings v1/v2, Cohere Embed v3): parse → authorise →
 * plan the calls (Titan: one text per call; Cohere: ≤ 96 per call) → fan out → translate → reply.
 * Mappings, extensions and defaults: docs/embeddings-and-images.md.
 */
import type { Attributes } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServedModel } from '../../config/index.js';
import { GatewayError } from '../../errors/index.js';
import { type Admission, LIMITS_DEFAULTS, LimitExceededError } from '../../limits/index.js';
import { parseModelId } from '../../models/index.js';
import { AIGW_ATTR, GEN_AI } from '../../telemetry/index.js';
import {
  type CohereEmbedResult,
  EMBEDDING_MODELS,
  embeddingModelKind,
  fromCohereEmbedResponses,
  fromTitanEmbedResponses,
  parseEmbeddingsRequest,
  toCohereEmbedRequests,
  toTitanEmbedRequests,
} from '../../translate/embeddings/index.js';
import type { UpstreamCall } from '../../upstream/index.js';
import type { CohereEmbedResponse, TitanEmbedResponse } from '../../wire/bedrock/index.js';
import type { EmbeddingsResponse } from '../../wire/openai/index.js';
import { authenticateHook, rejectOtherMethods } from '../app.js';
import { routeForSurface } from '../auth.js';
import type { ServerContext } from '../context.js';
import { namedRoute, ROUTE_NAME_PREFIX, runOnRoute, useTarget } from '../model-route.js';
import { recordTokens } from '../usage.js';
import { callerAbortSignal, type FanOutTrace, invokeAll, readJsonBody } from './invoke-fan-out.js';
import type { RouteModule } from './types.js';

export const embeddingsRoutes: RouteModule = {
  name: 'embeddings',
  register(app, ctx) {
    app.post(
      '/v1/embeddings',
      { onRequest: authenticateHook(ctx), config: { metricRoute: 'embeddings' } },
      (request, reply) => createEmbeddings(ctx, request, reply),
    );
    rejectOtherMethods(app, '/v1/embeddings', ['POST']);
  },
};

async function createEmbeddings(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const state = request.aigw;
  const parsed = parseEmbeddingsRequest(request.body);
  // `route/<name>`: a ModelRoute; the first target stands in until the router chose one.
  const named = parsed.model.startsWith(ROUTE_NAME_PREFIX)
    ? namedRoute(state, parsed.model, 'embedding', '/v1/embeddings')
    : undefined;
  let route = named
    ? useTarget(state, named.targets[0]!.served)
    : routeForSurface(state, parsed.model, 'embedding', '/v1/embeddings');
  const kindOf = (target: ServedModel) => {
    const kind = embeddingModelKind(parseModelId(target.model.modelId)?.foundationModelId);
    if (kind === undefined)
      throw new GatewayError(
        'invalid_value',
        `The model '${parsed.model}' (${target.model.modelId}) has no embeddings translation in this gateway; supported: ${Object.keys(EMBEDDING_MODELS).join(', ')}.`,
        { param: 'model' },
      );
    return kind;
  };
  if (!named) kindOf(route);

  const caller = callerAbortSignal(reply);
  state.span?.setAttributes({ [AIGW_ATTR.model]: parsed.model, [AIGW_ATTR.account]: route.account.name });
  const tracing: FanOutTrace | undefined = state.span
    ? {
        parent: state.span,
        operation: 'embeddings',
        servedModel: parsed.model,
        attributes: embeddingAttributes(parsed),
      }
    : undefined;

  /** Every call of the request on one target: its UsagePolicy admission, the fan-out and the translation. */
  const attempt = async (target: ServedModel, limits?: UpstreamCall['limits']): Promise<EmbeddingsResponse> => {
    const kind = kindOf(target);
    // UsagePolicy limits: the input text is the estimate (embeddings produce no output tokens).
    const policies = ctx.limiter?.policiesFor(state.snapshot!, state.caller!, target);
    let admission: Admission | undefined;
    if (ctx.limiter && policies && policies.length > 0) {
      let chars = 0;
      for (const text of parsed.input) chars += text.length;
      try {
        admission = await ctx.limiter.admit(policies, state.caller!, target.model, {
          inputTokens: Math.ceil(chars / LIMITS_DEFAULTS.charsPerToken),
          outputTokens: 0,
        });
      } catch (err) {
        // A route may still find a target within the caller's limits: its headers are set if it does not.
        if (err instanceof LimitExceededError && !named) reply.headers(err.headers);
        throw err;
      }
      reply.headers(admission.headers);
    }
    let settledTokens: number | undefined;
    try {
      let response: EmbeddingsResponse;
      if (kind === 'cohere-v3') {
        const bodies = toCohereEmbedRequests(parsed);
        const { responses, upstreamMs } = await invokeAll(ctx, target, bodies, caller.signal, tracing, state, limits);
        state.upstreamMs = upstreamMs;
        const results: CohereEmbedResult[] = responses.map((r) => {
          const body = readJsonBody(r) as CohereEmbedResponse;
          if (!body || typeof body !== 'object' || !Array.isArray(body.texts) || body.embeddings === undefined)
            throw new GatewayError('upstream_error', 'Bedrock returned an embeddings response without embeddings.');
          const header = Number(r.headers['x-amzn-bedrock-input-token-count']);
          return { body, inputTokens: Number.isFinite(header) && header >= 0 ? header : undefined };
        });
        response = fromCohereEmbedResponses(results, { model: parsed.model, encodingFormat: parsed.encodingFormat });
      } else {
        const bodies = toTitanEmbedRequests(parsed, { kind });
        const { responses, upstreamMs } = await invokeAll(ctx, target, bodies, caller.signal, tracing, state, limits);
        state.upstreamMs = upstreamMs;
        const results = responses.map((r) => {
          const body = readJsonBody(r) as TitanEmbedResponse;
          if (!body || typeof body !== 'object' || !Array.isArray(body.embedding))
            throw new GatewayError('upstream_error', 'Bedrock returned an embeddings response without an embedding.');
          return body;
        });
        response = fromTitanEmbedResponses(results, { model: parsed.model, encodingFormat: parsed.encodingFormat });
      }
      recordTokens(ctx, state, target, { inputTokens: response.usage.prompt_tokens });
      settledTokens = response.usage.prompt_tokens;
      return response;
    } finally {
      // A failed call counts no tokens; it still counts as a request.
      admission?.settle({ inputTokens: settledTokens ?? 0, outputTokens: 0 });
    }
  };

  try {
    let response: EmbeddingsResponse;
    if (!named) response = await attempt(route);
    else {
      const { result } = await runOnRoute(ctx, state, reply, named, { stream: false, signal: caller.signal }, attempt);
      response = result;
      route = state.modelRoute!;
    }
    await reply.header('x-request-id', request.id).type('application/json').send(JSON.stringify(response));
  } finally {
    caller.release();
  }
}

/** GenAI embeddings request attributes: the encoding format and, when asked for, the dimension count. */
function embeddingAttributes(parsed: ReturnType<typeof parseEmbeddingsRequest>): Attributes {
  const attributes: Attributes = { [GEN_AI.requestEncodingFormats]: [parsed.encodingFormat] };
  if (typeof parsed.dimensions === 'number') attributes[GEN_AI.embeddingsDimensionCount] = parsed.dimensions;
  return attributes;
}
