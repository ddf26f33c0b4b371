/**
 * ModelRoute status, pure: `Accepted` (the spec is valid and its targets are of one type), `Ready` (the
 * route is served, by how many targets), the status of each target, and the targets a gateway replica
 * has ejected now (read out of the shared store by the operator). The operator does the I/O (operator.ts).
 */
import {
  type CompiledModel,
  type CompiledModelRoute,
  type CompileProblem,
  type Condition,
  type ModelRoute,
  type ModelRouteTargetStatus,
  ROUTE_REASONS,
} from '../../gateway/src/config/index.js';

/** Condition reasons of a ModelRoute besides the compiler's (ROUTE_REASONS), stable for alerts and scripts. */
export const ROUTE_STATUS_REASONS = {
  /** Accepted=True. */
  accepted: 'Accepted',
  /** Ready=True: every target is ready. */
  served: 'Served',
  /** Ready=True: served, but some targets are not ready (each target's status says why). */
  degraded: 'Degraded',
  /** A target of a route that is refused as a whole. */
  routeNotAccepted: 'RouteNotAccepted',
} as const;

/** What the compiler refuses a whole route for (as opposed to skipping one target). */
const REFUSALS: ReadonlySet<string> = new Set([
  ROUTE_REASONS.invalidSpec,
  ROUTE_REASONS.typeMismatch,
  ROUTE_REASONS.nameClash,
]);

export type PendingCondition = Omit<Condition, 'lastTransitionTime'>;

export interface RouteStatusInput {
  route: Pick<ModelRoute, 'metadata' | 'spec'>;
  /** The route as published, when it is. */
  compiled: CompiledModelRoute | undefined;
  /** The compiler's problems of this route. */
  problems: readonly CompileProblem[];
  /** Served Models of the namespace by `metadata.name`. */
  models: ReadonlyMap<string, CompiledModel>;
  /** Served name → epoch ms until which a gateway replica ejected it; undefined = no shared store (or not read yet). */
  ejections: ReadonlyMap<string, number> | undefined;
  now: number;
}

export interface RouteStatus {
  observedGeneration?: number;
  conditions: PendingCondition[];
  type?: CompiledModelRoute['type'];
  targets: ModelRouteTargetStatus[];
  readyTargets: string;
  ejectedTargets?: number;
}

/** Computes a route's status (conditions without `lastTransitionTime`: the caller merges them). */
export function computeRouteStatus(input: RouteStatusInput): RouteStatus {
  const { route, compiled, problems, models, ejections, now } = input;
  const generation = route.metadata.generation;
  const base = generation === undefined ? {} : { observedGeneration: generation };
  const specTargets = Array.isArray(route.spec?.targets) ? route.spec.targets : [];
  const refusals = problems.filter((p) => p.reason !== undefined && REFUSALS.has(p.reason));
  const typeMismatch = refusals.some((p) => p.reason === ROUTE_REASONS.typeMismatch);
  const served = new Set(compiled?.targets.map((t) => t.servedName));

  let ejected = 0;
  const targets: ModelRouteTargetStatus[] = specTargets.map((t, i) => {
    const name = typeof t?.model === 'string' ? t.model : '';
    const model = models.get(name);
    const status: ModelRouteTargetStatus = { model: name, ready: false };
    if (model) status.servedName = model.servedName;
    const own = problems.find((p) => p.path === `spec.targets[${i}].model` || p.path.startsWith(`spec.targets[${i}].`));
    if (model && served.has(model.servedName) && !own) {
      status.ready = true;
      const until = ejections?.get(model.servedName);
      if (until !== undefined && until > now) {
        status.ejectedUntil = new Date(until).toISOString();
        ejected++;
      }
      return status;
    }
    if (own) {
      status.reason = own.reason ?? ROUTE_REASONS.invalidSpec;
      status.message = own.message;
    } else if (typeMismatch && model) {
      status.reason = ROUTE_REASONS.typeMismatch;
      status.message = `${model.type === 'chat' ? 'a' : 'an'} ${model.type} model among targets of differing types`;
    } else {
      status.reason = ROUTE_STATUS_REASONS.routeNotAccepted;
      status.message = 'the route is not accepted (see its Accepted condition)';
    }
    return status;
  });
  const ready = targets.filter((t) => t.ready).length;

  const accepted: PendingCondition =
    refusals.length > 0
      ? {
          type: 'Accepted',
          status: 'False',
          reason: refusals[0]?.reason ?? ROUTE_REASONS.invalidSpec,
          message: describe(refusals),
          ...base,
        }
      : {
          type: 'Accepted',
          status: 'True',
          reason: ROUTE_STATUS_REASONS.accepted,
          message: 'the spec is valid and every served target is of one type',
          ...base,
        };

  let readyCondition: PendingCondition;
  if (compiled) {
    const notReady = targets.filter((t) => !t.ready).map((t) => `${t.model} (${t.reason})`);
    readyCondition = {
      type: 'Ready',
      status: 'True',
      reason: notReady.length === 0 ? ROUTE_STATUS_REASONS.served : ROUTE_STATUS_REASONS.degraded,
      message:
        `served as ${compiled.servedName} (${compiled.type}) by ${ready} of ${targets.length} target${targets.length === 1 ? '' : 's'}` +
        (notReady.length > 0 ? `; not ready: ${notReady.join(', ')}` : ''),
      ...base,
    };
  } else if (refusals.length > 0) {
    readyCondition = {
      type: 'Ready',
      status: 'False',
      reason: accepted.reason,
      message: `not served: ${describe(refusals)}`,
      ...base,
    };
  } else {
    readyCondition = {
      type: 'Ready',
      status: 'False',
      reason: ROUTE_REASONS.noTargets,
      message: `not served: no target is ready${problems.length > 0 ? ` (${describe(problems)})` : ''}`,
      ...base,
    };
  }

  const status: RouteStatus = {
    ...base,
    conditions: [readyCondition, accepted],
    targets,
    readyTargets: `${ready}/${targets.length}`,
  };
  if (compiled) status.type = compiled.type;
  if (ejections) status.ejectedTargets = ejected;
  return status;
}

function describe(problems: readonly CompileProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}
