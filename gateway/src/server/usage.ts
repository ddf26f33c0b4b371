/**
 * Per-request accounting: what Bedrock reported (tokens, images) goes to the token and GenAI metrics,
 * its price to the cost counters (by subject and by team) or, when some of it has no price, to
 * `aigw_unpriced_requests_total` with one warning per model and reason; everything lands on the request
 * state for the usage record written when the response closes (docs/configuration.md, Usage records).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Caller, CompiledModel, ServedModel } from '../config/index.js';
import { type BillableUsage, costFor, type ModelPrice, priceFor, unpricedReason } from '../models/index.js';
import type { GatewayMetrics, GenAiBinding, GenAiOperation, PendingCount } from '../telemetry/index.js';
import type { RequestState, ServerContext } from './context.js';

/** `gen_ai.operation.name` of each model surface (by metrics route label). */
const GEN_AI_OPERATIONS: Readonly<Record<string, GenAiOperation>> = {
  chat: 'chat',
  embeddings: 'embeddings',
  images: 'generate_content',
};

/** The GenAI series of the request's model and surface, or undefined before a model was authorised. */
export function genAiOf(metrics: GatewayMetrics, state: RequestState): GenAiBinding | undefined {
  if (state.genAi) return state.genAi;
  const operation = GEN_AI_OPERATIONS[state.route];
  if (!state.modelRoute || !operation) return undefined;
  state.genAi = metrics.genAi(state.modelRoute, operation);
  return state.genAi;
}

/** Token counts as Bedrock reports them (input excludes cache reads and writes). */
export interface TokenUsage {
  inputTokens: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
}

/** Records the tokens of a model call (chat, embeddings) and their cost. */
export function recordTokens(ctx: ServerContext, state: RequestState, route: ServedModel, usage: TokenUsage): void {
  const account = route.account.name;
  const model = route.model.name;
  const { metrics } = ctx;
  metrics.addTokens(account, model, 'input', usage.inputTokens);
  metrics.addTokens(account, model, 'output', usage.outputTokens);
  metrics.addTokens(account, model, 'cache_read', usage.cacheReadTokens);
  metrics.addTokens(account, model, 'cache_write', usage.cacheWriteTokens);
  state.inputTokens = usage.inputTokens;
  state.outputTokens = usage.outputTokens;
  state.cacheReadTokens = usage.cacheReadTokens;
  state.cacheWriteTokens = usage.cacheWriteTokens;
  const genAi = genAiOf(metrics, state);
  if (genAi) {
    // The convention's input tokens include cached ones (what OpenAI's prompt_tokens reports).
    genAi.inputTokens(usage.inputTokens + (usage.cacheReadTokens ?? 0) + (usage.cacheWriteTokens ?? 0));
    if (usage.outputTokens !== undefined) genAi.outputTokens(usage.outputTokens);
  }
  recordCost(ctx, state, route, usage);
}

/** Prices `usage` and counts it by subject and team, or counts the request as unpriced. */
export function recordCost(ctx: ServerContext, state: RequestState, route: ServedModel, usage: BillableUsage): void {
  const price = priceOf(route.model);
  const usd = costFor(price, usage);
  const account = route.account.name;
  const model = route.model.name;
  if (usd === undefined) {
    const reason = unpricedReason(price, usage);
    if (reason === undefined) return; // nothing was used
    ctx.metrics.unpriced.labels(account, model, reason).inc();
    warnUnpricedOnce(ctx.logger, account, model, reason);
    return;
  }
  state.costUsd = usd;
  if (usd > 0) {
    const children = costChildren(ctx.metrics, route, state.caller!);
    children.subject.inc(usd);
    children.team.inc(usd);
  }
}

// Cost series of a (model, caller) pair, bound once: both objects live as long as their config snapshot
// (callers of api keys) or token-review cache entry, so the WeakMaps drop them with it.
type CostChildren = { subject: PendingCount; team: PendingCount };
const costSeries = new WeakMap<GatewayMetrics, WeakMap<CompiledModel, WeakMap<Caller, CostChildren>>>();
function costChildren(metrics: GatewayMetrics, route: ServedModel, caller: Caller): CostChildren {
  let byModel = costSeries.get(metrics);
  if (!byModel) {
    byModel = new WeakMap();
    costSeries.set(metrics, byModel);
  }
  let byCaller = byModel.get(route.model);
  if (!byCaller) {
    byCaller = new WeakMap();
    byModel.set(route.model, byCaller);
  }
  let children = byCaller.get(caller);
  if (!children) {
    const account = route.account.name;
    const model = route.model.name;
    children = {
      subject: metrics.costOf(account, model, caller.subject),
      team: metrics.teamCostOf(account, model, caller.metricTeam),
    };
    byCaller.set(caller, children);
  }
  return children;
}

// Compiled models are immutable and live as long as their snapshot, so their price is resolved once.
const prices = new WeakMap<CompiledModel, ModelPrice | null>();
export function priceOf(model: CompiledModel): ModelPrice | undefined {
  let price = prices.get(model);
  if (price === undefined) {
    price = priceFor(model) ?? null;
    prices.set(model, price);
  }
  return price ?? undefined;
}

// One warning per account/model/reason for the life of the process: the counter carries the rate.
const warned = new Set<string>();
const MAX_WARNED = 10_000;
function warnUnpricedOnce(logger: FastifyBaseLogger, account: string, model: string, reason: string): void {
  const key = `${account}\u0000${model}\u0000${reason}`;
  if (warned.has(key) || warned.size >= MAX_WARNED) return;
  warned.add(key);
  logger.warn(
    { account, model, reason },
    reason === 'no_price'
      ? 'model has no price: its requests are counted in aigw_unpriced_requests_total, not in the cost metrics'
      : `model has no ${reason} price: its requests are counted in aigw_unpriced_requests_total, not in the cost metrics`,
  );
}

/** The W3C trace id of a `traceparent` header value, or undefined when it is not one. */
export function traceIdOf(traceparent: string | string[] | undefined): string | undefined {
  if (typeof traceparent !== 'string' || traceparent.length < 55) return undefined;
  const id = traceparent.slice(3, 35);
  return /^[0-9a-f]{32}$/.test(id) && id !== '00000000000000000000000000000000' ? id : undefined;
}
