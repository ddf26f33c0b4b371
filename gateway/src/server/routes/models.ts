/**
 * `GET /v1/models` and `GET /v1/models/{account}/{model}`: only what the caller may use. A model the
 * caller may not use is absent from the list and 404 on retrieval, so its existence is not revealed.
 * ModelRoutes (`route/<name>`) are listed after the models, for callers who may use at least one target.
 */
import {
  type Caller,
  mayUseRoute,
  ROUTE_PREFIX,
  type ServedModel,
  type ServedRoute,
  type Snapshot,
} from '../../config/index.js';
import { echo, GatewayError } from '../../errors/index.js';
import { authenticateHook, rejectOtherMethods } from '../app.js';
import { mayUse } from '../auth.js';
import type { RouteModule } from './types.js';

interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

// Without a creationTimestamp (manifest files), `created` is when this process first served the name, so it
// stays the same across reloads instead of changing with every config revision.
const firstServed = new Map<string, number>();

function createdOf(servedName: string, created: number | undefined, loadedAt: number): number {
  if (created !== undefined) return created;
  let first = firstServed.get(servedName);
  if (first === undefined) {
    first = Math.floor(loadedAt / 1000);
    firstServed.set(servedName, first);
  }
  return first;
}

function toModelObject(route: ServedModel, loadedAt: number): ModelObject {
  return {
    id: route.model.servedName,
    object: 'model',
    created: createdOf(route.model.servedName, route.model.created, loadedAt),
    owned_by: route.account.name,
  };
}

/** A route is owned by no one account: `owned_by` is the `route` prefix its name starts with. */
function toRouteObject(route: ServedRoute, loadedAt: number): ModelObject {
  return {
    id: route.route.servedName,
    object: 'model',
    created: createdOf(route.route.servedName, route.route.created, loadedAt),
    owned_by: ROUTE_PREFIX,
  };
}

// Callers are per snapshot, so the serialized list can be cached per caller until the next reload.
const listCache = new WeakMap<Caller, string>();

function listFor(snapshot: Snapshot, caller: Caller): string {
  let body = listCache.get(caller);
  if (body === undefined) {
    const data: ModelObject[] = [];
    for (const route of snapshot.models.values()) {
      if (mayUse(caller, route)) data.push(toModelObject(route, snapshot.loadedAt));
    }
    for (const route of snapshot.routes.values()) {
      if (mayUseRoute(route, caller)) data.push(toRouteObject(route, snapshot.loadedAt));
    }
    body = JSON.stringify({ object: 'list', data });
    listCache.set(caller, body);
  }
  return body;
}

export const modelsRoutes: RouteModule = {
  name: 'models',
  register(app, ctx) {
    const onRequest = authenticateHook(ctx);
    app.get('/v1/models', { onRequest, config: { metricRoute: 'models' } }, async (request, reply) => {
      const { snapshot, caller } = request.aigw;
      return reply.type('application/json; charset=utf-8').send(listFor(snapshot!, caller!));
    });
    app.get<{ Params: { '*': string } }>(
      '/v1/models/*',
      { onRequest, config: { metricRoute: 'models' } },
      async (request, reply) => {
        const { snapshot, caller } = request.aigw;
        const id = request.params['*'];
        const route = snapshot!.models.get(id);
        const modelRoute = route ? undefined : snapshot!.routes.get(id);
        if (modelRoute && mayUseRoute(modelRoute, caller!)) {
          return reply
            .type('application/json; charset=utf-8')
            .send(JSON.stringify(toRouteObject(modelRoute, snapshot!.loadedAt)));
        }
        if (!route || !mayUse(caller!, route)) {
          throw new GatewayError(
            'model_not_found',
            `The model '${echo(id)}' does not exist or you do not have access to it.`,
            {
              param: 'model',
            },
          );
        }
        return reply
          .type('application/json; charset=utf-8')
          .send(JSON.stringify(toModelObject(route, snapshot!.loadedAt)));
      },
    );
    rejectOtherMethods(app, '/v1/models', ['GET']);
    rejectOtherMethods(app, '/v1/models/*', ['GET']);
  },
};
