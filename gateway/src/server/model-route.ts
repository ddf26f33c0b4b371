/**
 * The server side of ModelRoute (docs/resources.md, ModelRoute): a surface request whose `model` names a
 * route gets the route and the targets its caller may use, and each target attempted becomes the
 * request's model for metrics, limits and costs. Requests that name a model never come here.
 */

import type { FastifyReply } from 'fastify';
import {
  ROUTE_PREFIX,
  type ServedModel,
  type ServedRoute,
  type ServedRouteTarget,
  usableTargets,
} from '../config/index.js';
import { GatewayError, modelNotFound } from '../errors/index.js';
import { LimitExceededError } from '../limits/index.js';
import type { ModelType } from '../models/index.js';
import { type AffinityKey, type RoutedRequest, TARGET_HEADER, type TargetCall } from '../routing/index.js';
import { AIGW_ATTR } from '../telemetry/index.js';
import type { RequestState, ServerContext } from './context.js';

/** `route/`: what a route's served name starts with. */
export const ROUTE_NAME_PREFIX = `${ROUTE_PREFIX}/`;

/** A route a request named, with the targets its caller may use (never empty). */
export interface NamedRoute {
  readonly served: ServedRoute;
  readonly targets: readonly ServedRouteTarget[];
}

/**
 * The route a surface request names, or undefined when `model` is not a route's served name (then it is a
 * model name, resolved as before). A route whose targets the caller may not use is a 404 as for a model;
 * a route of another type than the surface's is a 400 naming the surface.
 *
 * @throws GatewayError model_not_found (404), invalid_value (400)
 */
export function namedRoute(
  state: RequestState,
  model: string,
  type: ModelType,
  surface: string,
): NamedRoute | undefined {
  const served = state.snapshot!.routes.get(model);
  if (!served) return undefined;
  const targets = usableTargets(served, state.caller!);
  if (targets.length === 0) throw modelNotFound(model);
  if (served.route.type !== type) {
    const article = served.route.type === 'chat' ? 'a' : 'an';
    throw new GatewayError(
      'invalid_value',
      `The model '${model}' is ${article} ${served.route.type} route and cannot be used with ${surface}.`,
      { param: 'model' },
    );
  }
  return { served, targets };
}

/** Makes a route's target the request's model: metric labels, GenAI series and usage records follow it. */
export function useTarget(state: RequestState, served: ServedModel): ServedModel {
  if (state.modelRoute !== served) {
    state.account = served.account.name;
    state.model = served.model.name;
    state.modelRoute = served;
    state.genAi = undefined;
  }
  return served;
}

/**
 * Runs a request over the targets of the route it named, in the Router's plan (failover before the first
 * byte). Each target attempted becomes the request's model ({@link useTarget}) and is named in the
 * `x-aigateway-target` header; a 429 because every target refused the caller's own limits carries their
 * x-ratelimit headers; the span gets the routing decision. `call` must reject before anything reached the
 * caller. Returns the routed request too: a stream's target is judged when the stream ends.
 */
export async function runOnRoute<R>(
  ctx: ServerContext,
  state: RequestState,
  reply: FastifyReply,
  named: NamedRoute,
  options: { stream: boolean; signal: AbortSignal; affinityKey?: AffinityKey | undefined },
  call: (target: ServedModel, limits: TargetCall<ServedRouteTarget>['limits']) => Promise<R>,
): Promise<{ result: R; routed: RoutedRequest<ServedRouteTarget> }> {
  const routed = ctx.router.begin(
    named.served.route,
    named.targets,
    state.snapshot!.config.namespace,
    options.affinityKey,
  );
  try {
    const result = await routed.run(
      {
        stream: options.stream,
        signal: options.signal,
        onAttempt: (target) => {
          useTarget(state, target.served);
          reply.header(TARGET_HEADER, target.servedName);
        },
      },
      (step) => call(step.target.served, step.limits),
    );
    return { result, routed };
  } catch (err) {
    if (err instanceof LimitExceededError) reply.headers(err.headers);
    throw err;
  } finally {
    state.span?.setAttributes({ ...routed.attributes(), [AIGW_ATTR.account]: routed.target.served.account.name });
  }
}
