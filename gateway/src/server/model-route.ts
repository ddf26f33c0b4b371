/**
 * The server side of ModelRoute (docs/resources.md, ModelRoute): a surface request whose `model` names a
 * route gets the route and the targets its caller may use, and each target attempted becomes the
 * request's model for metrics, limits and costs. Requests that name a model never come here.
 */
import {
  ROUTE_PREFIX,
  type ServedModel,
  type ServedRoute,
  type ServedRouteTarget,
  usableTargets,
} from '../config/index.js';
import { GatewayError, modelNotFound } from '../errors/index.js';
import type { ModelType } from '../models/index.js';
import type { RequestState } from './context.js';

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
