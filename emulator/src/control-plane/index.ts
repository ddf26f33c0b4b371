/**
 * The Bedrock control plane (`bedrock.{region}.amazonaws.com`, bedrock-wire.md §7) served on the same
 * port. Batch inference (Create/Get/List/StopModelInvocationJob) plugs in here by adding routes to
 * `CONTROL_PLANE_ROUTES`; requests are SigV4 (service `bedrock`) or API-key authenticated before a
 * route runs. Until a route matches, the emulator answers `UnknownOperationException` 404.
 * ListFoundationModels / GetFoundationModel are registered by `foundation-models.ts`.
 */

import type { Principal } from '../auth.js';
import type { RequestContext } from '../reply.js';
import type { EmulatorState } from '../state.js';

/** One control-plane operation. */
export interface ControlPlaneRoute {
  /** Operation name for statistics (e.g. `CreateModelInvocationJob`). */
  readonly operation: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Matched against the raw (still percent-encoded) path. */
  readonly path: RegExp;
  handle(input: {
    state: EmulatorState;
    ctx: RequestContext;
    match: RegExpExecArray;
    principal: Principal;
  }): Promise<void> | void;
}

/** Registered control-plane routes; batch inference appends to this list. */
export const CONTROL_PLANE_ROUTES: ControlPlaneRoute[] = [];

/** The route for a request, with its path match. */
export function matchControlPlane(
  method: string,
  rawPath: string,
): { route: ControlPlaneRoute; match: RegExpExecArray } | undefined {
  for (const route of CONTROL_PLANE_ROUTES) {
    if (route.method !== method) continue;
    const match = route.path.exec(rawPath);
    if (match) return { route, match };
  }
  return undefined;
}

/** Registers the built-in routes (called once by the server module). */
export function registerBuiltinControlPlaneRoutes(routes: readonly ControlPlaneRoute[]): void {
  for (const route of routes) if (!CONTROL_PLANE_ROUTES.includes(route)) CONTROL_PLANE_ROUTES.push(route);
}
