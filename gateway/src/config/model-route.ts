/**
 * ModelRoute → CompiledModelRoute (docs/resources.md, ModelRoute). Pure like the rest of the compiler:
 * every field arrives as `unknown` and every defect is reported with its path. Targets name Models of
 * the namespace; they are resolved here to served names (`account/model`), so the gateway picks among
 * served models only. A target whose Model is unknown or not served is skipped (the route serves the
 * others); a route whose fields are wrong, whose targets differ in type, or that keeps no target is not
 * compiled at all, so a route is never half-applied.
 */
import type { ModelType } from '../models/index.js';
import type { CompileProblem } from './compile.js';
import type { CompiledModel, CompiledModelRoute, CompiledRouteTarget, RouteRetryOn } from './types.js';

/** Every failure class a route can fail over on, in the order docs/resources.md lists them. */
export const ROUTE_RETRY_ON: readonly RouteRetryOn[] = Object.freeze(['throttle', '5xx', 'timeout', 'connect']);

/**
 * Defaults of a ModelRoute's optional fields (docs/resources.md, ModelRoute). `policy.maxAttempts` has no
 * fixed default: absent means every compiled target of the route may be tried once.
 */
export const MODEL_ROUTE_DEFAULTS = Object.freeze({
  /** `targets[].weight`: share of traffic among the healthy targets of one priority. */
  weight: 1,
  /** `targets[].priority`: lower is preferred. */
  priority: 0,
  /** `policy.retryOn`: fail over on all four failure classes. */
  retryOn: ROUTE_RETRY_ON,
  /** `policy.ejection.consecutiveFailures`: failures in a row that eject a target. */
  consecutiveFailures: 3,
  /** `policy.ejection.baseEjectionSeconds`: the first ejection's length, in seconds; doubles each time. */
  baseEjectionSeconds: 10,
  /** `policy.ejection.maxEjectionSeconds`: the longest ejection, in seconds. */
  maxEjectionSeconds: 300,
  /** `policy.promptCacheAffinity`: requests with cache points go where their prefix is cached. */
  promptCacheAffinity: true,
});

/** Bounds of a ModelRoute's fields; the CRD's schema and CEL rules (crds/modelroutes.aigateway.dev.yaml) say the same. */
export const MODEL_ROUTE_LIMITS = Object.freeze({
  maxTargets: 16,
  maxWeight: 1000,
  maxPriority: 100,
  maxConsecutiveFailures: 100,
  /** Seconds. */
  maxBaseEjectionSeconds: 3600,
  /** Seconds (one day). */
  maxMaxEjectionSeconds: 86_400,
});

/** The served name of every route starts with this: `route/<name>`. */
export const ROUTE_PREFIX = 'route';

/** Stable reasons of ModelRoute problems, used by the operator's status (conditions and per-target). */
export const ROUTE_REASONS = Object.freeze({
  /** A target names a Model that does not exist in the namespace. */
  unknownModel: 'UnknownModel',
  /** A target's Model exists but is not served (its own problems, or its account's). */
  modelNotReady: 'ModelNotReady',
  /** The same Model is listed twice. */
  duplicateTarget: 'DuplicateTarget',
  /** The targets' Models are of different types (chat, embedding, image). */
  typeMismatch: 'TypeMismatch',
  /** No target is left to serve. */
  noTargets: 'NoTargets',
  /** `route/<name>` is already the served name of a Model (of a ProviderAccount named `route`), or a duplicate route. */
  nameClash: 'NameClash',
  /** A field is wrong. */
  invalidSpec: 'InvalidSpec',
});

/** The Redis hash in which gateway replicas record ejected targets of a route (field: served name, value: epoch ms until). */
export function routeEjectionKey(namespace: string, name: string): string {
  // Braces make the route one Redis Cluster hash slot.
  return `aigw:route:{${namespace}/${name}}:ejected`;
}

/** `route/<name>`. */
export function routeServedName(name: string): string {
  return `${ROUTE_PREFIX}/${name}`;
}

type Rec = Record<string, unknown>;
type Report = (
  path: string,
  message: string,
  about?: Pick<CompileProblem, 'consequenceOf' | 'missing' | 'reason'>,
) => void;

/** What a route compiles against: the Models of the namespace. */
export interface RouteModels {
  /** Compiled (served) Models by `metadata.name`. */
  byName: ReadonlyMap<string, CompiledModel>;
  /** Every Model name declared in the namespace, served or not. */
  declared: ReadonlySet<string>;
  /** Served names of every compiled Model, to refuse a route whose served name is taken. */
  servedNames: ReadonlySet<string>;
}

const SPEC_FIELDS = ['targets', 'policy'] as const;
const TARGET_FIELDS = ['model', 'weight', 'priority'] as const;
const POLICY_FIELDS = ['retryOn', 'maxAttempts', 'ejection', 'promptCacheAffinity'] as const;
const EJECTION_FIELDS = ['consecutiveFailures', 'baseEjectionSeconds', 'maxEjectionSeconds'] as const;
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * Compiles one ModelRoute named `name`. Returns undefined (with problems reported) when the route cannot
 * be served; targets that cannot be served are reported and left out of a route that still can.
 */
export function compileModelRoute(
  route: Rec,
  name: string,
  models: RouteModels,
  report: Report,
): CompiledModelRoute | undefined {
  let ok = true;
  const invalid: Report = (path, message, about) => {
    ok = false;
    report(path, message, { reason: ROUTE_REASONS.invalidSpec, ...about });
  };
  if (!DNS_SUBDOMAIN_RE.test(name))
    invalid('metadata.name', 'must be lowercase letters, digits, - and . (a Kubernetes object name)');
  const servedName = routeServedName(name);
  if (models.servedNames.has(servedName)) {
    // Models were there first (and a route is the newer, more specific kind): the Model keeps the name.
    report(
      'metadata.name',
      `served name '${servedName}' is already served by Model '${name}' of the ProviderAccount named '${ROUTE_PREFIX}'; the Model keeps it and this route is not served (rename the ModelRoute, or the ProviderAccount: an account named '${ROUTE_PREFIX}' shadows routes)`,
      { reason: ROUTE_REASONS.nameClash },
    );
    ok = false;
  }
  const spec = route.spec;
  if (!isRec(spec)) {
    invalid('spec', 'is required (spec.targets lists the Models of the route)');
    return undefined;
  }
  checkFields(spec, SPEC_FIELDS, 'spec', invalid);

  // Targets: each a Model of the namespace, checked field by field before any is resolved.
  const rawTargets = spec.targets;
  if (!Array.isArray(rawTargets) || rawTargets.length === 0) {
    invalid('spec.targets', 'must list at least one target ({ model: NAME })', { reason: ROUTE_REASONS.noTargets });
    return undefined;
  }
  if (rawTargets.length > MODEL_ROUTE_LIMITS.maxTargets) {
    invalid('spec.targets', `must list at most ${MODEL_ROUTE_LIMITS.maxTargets} targets, got ${rawTargets.length}`);
  }
  const parsed: { index: number; model: string; weight: number; priority: number }[] = [];
  rawTargets.forEach((t: unknown, index: number) => {
    const at = `spec.targets[${index}]`;
    if (!isRec(t)) {
      invalid(at, 'must be an object with model, weight and priority');
      return;
    }
    checkFields(t, TARGET_FIELDS, at, invalid);
    if (typeof t.model !== 'string' || t.model === '') {
      invalid(`${at}.model`, 'is required (the metadata.name of a Model in this namespace)');
      return;
    }
    const weight =
      integerIn(t.weight, 0, MODEL_ROUTE_LIMITS.maxWeight, `${at}.weight`, invalid) ?? MODEL_ROUTE_DEFAULTS.weight;
    const priority =
      integerIn(t.priority, 0, MODEL_ROUTE_LIMITS.maxPriority, `${at}.priority`, invalid) ??
      MODEL_ROUTE_DEFAULTS.priority;
    parsed.push({ index, model: t.model, weight, priority });
  });
  if (parsed.length > 0 && parsed.every((t) => t.weight === 0)) {
    invalid(
      'spec.targets',
      'at least one target needs a weight above 0 (a target of weight 0 is a standby, reached by failover)',
    );
  }

  const policy = compilePolicy(spec.policy, invalid);
  if (policy?.maxAttempts !== undefined && policy.maxAttempts > rawTargets.length) {
    invalid(
      'spec.policy.maxAttempts',
      `(${policy.maxAttempts}) must not exceed the number of targets (${rawTargets.length}): each target is tried at most once per request`,
    );
  }

  // Resolve each target to its served Model: unknown, unserved and repeated ones are skipped.
  const seen = new Set<string>();
  const resolved: { index: number; target: CompiledRouteTarget; model: CompiledModel }[] = [];
  for (const t of parsed) {
    const at = `spec.targets[${t.index}].model`;
    if (seen.has(t.model)) {
      report(at, `Model '${t.model}' is already a target of this route`, { reason: ROUTE_REASONS.duplicateTarget });
      continue;
    }
    seen.add(t.model);
    const model = models.byName.get(t.model);
    if (!model) {
      if (models.declared.has(t.model)) {
        report(at, `Model '${t.model}' has problems and is not served; the route skips it`, {
          consequenceOf: { kind: 'Model', name: t.model },
          reason: ROUTE_REASONS.modelNotReady,
        });
      } else {
        report(at, `Model '${t.model}' not found in this namespace; the route skips it`, {
          missing: `Model '${t.model}'`,
          reason: ROUTE_REASONS.unknownModel,
        });
      }
      continue;
    }
    resolved.push({
      index: t.index,
      model,
      target: { servedName: model.servedName, weight: t.weight, priority: t.priority },
    });
  }

  // One type for the whole route: a chat request must never fail over to an embedding model.
  const byType = new Map<ModelType, string[]>();
  for (const r of resolved) {
    const names = byType.get(r.model.type) ?? [];
    names.push(r.model.name);
    byType.set(r.model.type, names);
  }
  if (byType.size > 1) {
    const parts = [...byType].map(([type, names]) => `${type} (${names.join(', ')})`);
    report(
      'spec.targets',
      `targets differ in type: ${parts.join(', ')}; every target of a route must be of one type (chat, embedding or image)`,
      { reason: ROUTE_REASONS.typeMismatch },
    );
    return undefined;
  }
  if (!ok || !policy) return undefined;
  const first = resolved[0];
  if (!first) {
    report(
      'spec.targets',
      'no target is served (each names a Model that is missing or not ready), so the route is not served',
      // Follows from the problems of its targets (reported above): a report for people lists those only.
      { reason: ROUTE_REASONS.noTargets, consequenceOf: { kind: 'ModelRoute', name } },
    );
    return undefined;
  }

  const targets = resolved.map((r) => r.target);
  const compiled: CompiledModelRoute = {
    servedName,
    name,
    type: first.model.type,
    targets,
    retryOn: policy.retryOn,
    // Each target is tried at most once per request; targets skipped above lower the bound.
    maxAttempts: Math.min(policy.maxAttempts ?? targets.length, targets.length),
    ejection: policy.ejection,
    promptCacheAffinity: policy.promptCacheAffinity,
  };
  const created = creationSeconds(route);
  if (created !== undefined) compiled.created = created;
  return compiled;
}

/**
 * Compiles every ModelRoute of the namespace (duplicates by name reported), sorted by served name.
 * `problemOf` builds the problem sink of one route (compile.ts owns the problem list).
 */
export function compileModelRoutes(
  routes: readonly unknown[],
  models: RouteModels,
  problemOf: (name: string, object: object) => Report,
): CompiledModelRoute[] {
  const out: CompiledModelRoute[] = [];
  const names = new Set<string>();
  for (const raw of routes) {
    const route = isRec(raw) ? raw : {};
    const name = isRec(route.metadata) && typeof route.metadata.name === 'string' ? route.metadata.name : '';
    const report = problemOf(name, raw as object);
    if (names.has(name)) {
      report('metadata.name', `duplicate ModelRoute '${name}'`, { reason: ROUTE_REASONS.nameClash });
      continue;
    }
    names.add(name);
    const compiled = compileModelRoute(route, name, models, report);
    if (compiled) out.push(compiled);
  }
  return out.sort((a, b) => (a.servedName < b.servedName ? -1 : a.servedName > b.servedName ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------

interface CompiledPolicy {
  retryOn: RouteRetryOn[];
  maxAttempts: number | undefined;
  ejection: CompiledModelRoute['ejection'];
  promptCacheAffinity: boolean;
}

function compilePolicy(raw: unknown, invalid: Report): CompiledPolicy | undefined {
  const defaults: CompiledPolicy = {
    retryOn: [...MODEL_ROUTE_DEFAULTS.retryOn],
    maxAttempts: undefined,
    ejection: {
      consecutiveFailures: MODEL_ROUTE_DEFAULTS.consecutiveFailures,
      baseSeconds: MODEL_ROUTE_DEFAULTS.baseEjectionSeconds,
      maxSeconds: MODEL_ROUTE_DEFAULTS.maxEjectionSeconds,
    },
    promptCacheAffinity: MODEL_ROUTE_DEFAULTS.promptCacheAffinity,
  };
  if (raw === undefined || raw === null) return defaults;
  if (!isRec(raw)) {
    invalid('spec.policy', 'must be an object');
    return undefined;
  }
  let ok = true;
  const bad: Report = (path, message, about) => {
    ok = false;
    invalid(path, message, about);
  };
  checkFields(raw, POLICY_FIELDS, 'spec.policy', bad);
  const policy = defaults;
  if (raw.retryOn !== undefined && raw.retryOn !== null) {
    if (!Array.isArray(raw.retryOn)) bad('spec.policy.retryOn', `must be a list of ${ROUTE_RETRY_ON.join(', ')}`);
    else {
      const set = new Set<RouteRetryOn>();
      raw.retryOn.forEach((v: unknown, i: number) => {
        if (!ROUTE_RETRY_ON.includes(v as RouteRetryOn)) {
          bad(`spec.policy.retryOn[${i}]`, `must be one of ${ROUTE_RETRY_ON.join(', ')}, got ${show(v)}`);
        } else if (set.has(v as RouteRetryOn)) bad(`spec.policy.retryOn[${i}]`, `'${v}' is listed twice`);
        else set.add(v as RouteRetryOn);
      });
      // Kept in the documented order, so the compiled config (and its revision) does not depend on list order.
      policy.retryOn = ROUTE_RETRY_ON.filter((r) => set.has(r));
    }
  }
  policy.maxAttempts = integerIn(raw.maxAttempts, 1, MODEL_ROUTE_LIMITS.maxTargets, 'spec.policy.maxAttempts', bad);
  if (raw.promptCacheAffinity !== undefined && raw.promptCacheAffinity !== null) {
    if (typeof raw.promptCacheAffinity !== 'boolean') bad('spec.policy.promptCacheAffinity', 'must be true or false');
    else policy.promptCacheAffinity = raw.promptCacheAffinity;
  }
  const e = raw.ejection;
  if (e !== undefined && e !== null) {
    if (!isRec(e)) bad('spec.policy.ejection', 'must be an object');
    else {
      const at = 'spec.policy.ejection';
      checkFields(e, EJECTION_FIELDS, at, bad);
      const failures = integerIn(
        e.consecutiveFailures,
        1,
        MODEL_ROUTE_LIMITS.maxConsecutiveFailures,
        `${at}.consecutiveFailures`,
        bad,
      );
      const base = integerIn(
        e.baseEjectionSeconds,
        1,
        MODEL_ROUTE_LIMITS.maxBaseEjectionSeconds,
        `${at}.baseEjectionSeconds`,
        bad,
      );
      const max = integerIn(
        e.maxEjectionSeconds,
        1,
        MODEL_ROUTE_LIMITS.maxMaxEjectionSeconds,
        `${at}.maxEjectionSeconds`,
        bad,
      );
      if (failures !== undefined) policy.ejection.consecutiveFailures = failures;
      if (base !== undefined) policy.ejection.baseSeconds = base;
      if (max !== undefined) policy.ejection.maxSeconds = max;
      if (policy.ejection.baseSeconds > policy.ejection.maxSeconds) {
        bad(
          `${at}.baseEjectionSeconds`,
          `(${policy.ejection.baseSeconds}) must not exceed maxEjectionSeconds (${policy.ejection.maxSeconds}${max === undefined ? ', the default' : ''})`,
        );
      }
    }
  }
  return ok ? policy : undefined;
}

/** undefined when absent (or wrong, reported). */
function integerIn(raw: unknown, min: number, max: number, path: string, bad: Report): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Number.isSafeInteger(raw) || (raw as number) < min || (raw as number) > max) {
    bad(path, `must be an integer from ${min} to ${max}, got ${show(raw)}`);
    return undefined;
  }
  return raw as number;
}

function checkFields(object: Rec, known: readonly string[], path: string, bad: Report): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) bad(`${path}.${key}`, `unknown field; expected one of ${known.join(', ')}`);
  }
}

function creationSeconds(object: Rec): number | undefined {
  const stamp = isRec(object.metadata) ? object.metadata.creationTimestamp : undefined;
  if (typeof stamp !== 'string') return undefined;
  const ms = Date.parse(stamp);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isRec(value: unknown): value is Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
