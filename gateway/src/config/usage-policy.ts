/**
 * UsagePolicy → CompiledUsagePolicy (docs/resources.md, UsagePolicy). Pure like the rest of the compiler:
 * every field arrives as `unknown`, every defect is reported with its path, and label selectors are
 * resolved here against the Models of the namespace, so the gateway matches requests by served name only.
 */
import type {
  CompiledModel,
  CompiledUsagePolicy,
  LabelSelector,
  UsageFailureMode,
  UsagePolicyLimits,
  UsagePolicyPer,
  UsageTokenCount,
} from './types.js';

type Rec = Record<string, unknown>;
type Report = (path: string, message: string) => void;

/** Defaults of a UsagePolicy's optional fields. */
export const USAGE_POLICY_DEFAULTS = {
  per: 'shared' as UsagePolicyPer,
  tokenCount: 'total' as UsageTokenCount,
  timeZone: 'UTC',
  failureMode: 'open' as UsageFailureMode,
} as const;

const SPEC_FIELDS = [
  'subjects',
  'per',
  'accounts',
  'models',
  'modelSelector',
  'limits',
  'timeZone',
  'guardrail',
  'failureMode',
] as const;
const LIMIT_FIELDS = [
  'requestsPerMinute',
  'tokensPerMinute',
  'tokenCount',
  'concurrentRequests',
  'usdPerDay',
  'usdPerMonth',
] as const;
const GUARDRAIL_FIELDS = ['guardrailIdentifier', 'guardrailVersion', 'trace'] as const;
const SELECTOR_FIELDS = ['matchLabels', 'matchExpressions'] as const;
const EXPRESSION_FIELDS = ['key', 'operator', 'values'] as const;
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
const SUBJECT_RE = /^(user:.+|team:.+|serviceaccount:[^:]+:[^:]+)$/;
// Bedrock's GuardrailConfiguration: identifier up to 2048 characters, version a number or DRAFT.
const GUARDRAIL_ID_RE = /^(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail\/[a-z0-9]+))$/;
const GUARDRAIL_VERSION_RE = /^(([1-9][0-9]{0,7})|(DRAFT))$/;
const INTEGER_LIMITS = ['requestsPerMinute', 'tokensPerMinute', 'concurrentRequests'] as const;
const USD_LIMITS = ['usdPerDay', 'usdPerMonth'] as const;

/** A Model as the policy compiler sees it: its served form plus the labels of its resource. */
export interface LabeledModel {
  compiled: CompiledModel;
  labels: Readonly<Record<string, string>>;
}

/**
 * Compiles one UsagePolicy; undefined (with problems reported) when any field is wrong, so a broken
 * policy is never half-enforced.
 */
export function compileUsagePolicy(
  policy: Rec,
  name: string,
  namespace: string,
  models: readonly LabeledModel[],
  report: Report,
): CompiledUsagePolicy | undefined {
  const before = countingReport(report);
  const r = before.report;
  const spec = policy.spec;
  if (!isRec(spec)) {
    r('spec', 'is required');
    return undefined;
  }
  checkFields(spec, SPEC_FIELDS, 'spec', r);

  const subjects = stringList(spec.subjects, 'spec.subjects', r) ?? [];
  subjects.forEach((s, i) => {
    if (!SUBJECT_RE.test(s)) r(`spec.subjects[${i}]`, 'must be user:NAME, team:GROUP or serviceaccount:NAMESPACE:NAME');
  });
  const per = enumOf(spec.per, ['subject', 'shared'] as const, 'spec.per', r) ?? USAGE_POLICY_DEFAULTS.per;
  const failureMode =
    enumOf(spec.failureMode, ['open', 'closed'] as const, 'spec.failureMode', r) ?? USAGE_POLICY_DEFAULTS.failureMode;

  let timeZone: string = USAGE_POLICY_DEFAULTS.timeZone;
  if (spec.timeZone !== undefined && spec.timeZone !== null) {
    if (typeof spec.timeZone !== 'string' || !isTimeZone(spec.timeZone)) {
      r('spec.timeZone', 'must be an IANA time zone such as UTC or Europe/Berlin');
    } else timeZone = spec.timeZone;
  }

  // What it applies to: the union of the named accounts' models, the named Models and the selected ones.
  const accountNames = stringList(spec.accounts, 'spec.accounts', r);
  const modelNames = stringList(spec.models, 'spec.models', r);
  const selector = spec.modelSelector === undefined || spec.modelSelector === null ? undefined : spec.modelSelector;
  const compiledSelector = selector === undefined ? undefined : compileSelector(selector, 'spec.modelSelector', r);
  let served: string[] | undefined;
  if (accountNames !== undefined || modelNames !== undefined || selector !== undefined) {
    const set = new Set<string>();
    for (const m of models) {
      if (
        accountNames?.includes(m.compiled.account) ||
        modelNames?.includes(m.compiled.name) ||
        (compiledSelector && matchesSelector(compiledSelector, m.labels))
      ) {
        set.add(m.compiled.servedName);
      }
    }
    served = [...set].sort();
  }

  let limits: CompiledUsagePolicy['limits'] = { tokenCount: USAGE_POLICY_DEFAULTS.tokenCount };
  if (spec.limits !== undefined && spec.limits !== null) {
    if (!isRec(spec.limits)) r('spec.limits', 'must be an object');
    else {
      checkFields(spec.limits, LIMIT_FIELDS, 'spec.limits', r);
      const out: UsagePolicyLimits = {};
      for (const key of INTEGER_LIMITS) {
        const v = spec.limits[key];
        if (v === undefined || v === null) continue;
        if (!Number.isSafeInteger(v) || (v as number) < 1) r(`spec.limits.${key}`, 'must be an integer of at least 1');
        else out[key] = v as number;
      }
      for (const key of USD_LIMITS) {
        const v = spec.limits[key];
        if (v === undefined || v === null) continue;
        if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 1e9) {
          r(`spec.limits.${key}`, 'must be a positive number of USD');
        } else out[key] = v;
      }
      const tokenCount =
        enumOf(spec.limits.tokenCount, ['input', 'output', 'total'] as const, 'spec.limits.tokenCount', r) ??
        USAGE_POLICY_DEFAULTS.tokenCount;
      limits = { ...out, tokenCount };
    }
  }

  let guardrail: CompiledUsagePolicy['guardrail'];
  if (spec.guardrail !== undefined && spec.guardrail !== null) {
    const g = spec.guardrail;
    if (!isRec(g)) r('spec.guardrail', 'must be an object with guardrailIdentifier and guardrailVersion');
    else {
      checkFields(g, GUARDRAIL_FIELDS, 'spec.guardrail', r);
      const id = g.guardrailIdentifier;
      const version = g.guardrailVersion;
      if (typeof id !== 'string' || id.length > 2048 || !GUARDRAIL_ID_RE.test(id)) {
        r('spec.guardrail.guardrailIdentifier', 'must be a guardrail id or ARN');
      }
      if (typeof version !== 'string' || !GUARDRAIL_VERSION_RE.test(version)) {
        r('spec.guardrail.guardrailVersion', 'must be a version number such as "1" or DRAFT');
      }
      const trace = enumOf(g.trace, ['enabled', 'disabled'] as const, 'spec.guardrail.trace', r);
      if (typeof id === 'string' && typeof version === 'string') {
        guardrail = { guardrailIdentifier: id, guardrailVersion: version };
        if (trace) guardrail.trace = trace;
      }
    }
  }

  const hasLimit = LIMIT_FIELDS.some((k) => k !== 'tokenCount' && limits[k] !== undefined);
  if (!hasLimit && !guardrail) r('spec', 'must set at least one limit in spec.limits or a spec.guardrail');
  if (before.count() > 0) return undefined;

  const compiled: CompiledUsagePolicy = {
    id: `${namespace}/${name}`,
    name,
    subjects: [...new Set(subjects)].sort(),
    per,
    limits,
    timeZone,
    failureMode,
  };
  if (served) compiled.models = served;
  if (guardrail) compiled.guardrail = guardrail;
  return compiled;
}

// ---------------------------------------------------------------------------------------------

interface CompiledSelector {
  matchLabels: [string, string][];
  expressions: { key: string; operator: (typeof OPERATORS)[number]; values: string[] }[];
}

function compileSelector(raw: unknown, path: string, r: Report): CompiledSelector | undefined {
  if (!isRec(raw)) {
    r(path, 'must be a label selector (matchLabels, matchExpressions)');
    return undefined;
  }
  checkFields(raw, SELECTOR_FIELDS, path, r);
  const out: CompiledSelector = { matchLabels: [], expressions: [] };
  if (raw.matchLabels !== undefined && raw.matchLabels !== null) {
    if (!isRec(raw.matchLabels)) r(`${path}.matchLabels`, 'must be a map of strings');
    else
      for (const [k, v] of Object.entries(raw.matchLabels)) {
        if (typeof v !== 'string') r(`${path}.matchLabels.${k}`, 'must be a string');
        else out.matchLabels.push([k, v]);
      }
  }
  if (raw.matchExpressions !== undefined && raw.matchExpressions !== null) {
    if (!Array.isArray(raw.matchExpressions)) r(`${path}.matchExpressions`, 'must be a list');
    else
      raw.matchExpressions.forEach((e: unknown, i: number) => {
        const at = `${path}.matchExpressions[${i}]`;
        if (!isRec(e)) {
          r(at, 'must be an object with key and operator');
          return;
        }
        checkFields(e, EXPRESSION_FIELDS, at, r);
        const operator = enumOf(e.operator, OPERATORS, `${at}.operator`, r);
        if (typeof e.key !== 'string' || e.key === '') r(`${at}.key`, 'is required');
        const values = stringList(e.values, `${at}.values`, r) ?? [];
        if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
          r(`${at}.values`, `must not be empty for operator ${operator}`);
        }
        if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) {
          r(`${at}.values`, `must be empty for operator ${operator}`);
        }
        if (operator && typeof e.key === 'string') out.expressions.push({ key: e.key, operator, values });
      });
  }
  return out;
}

/** Kubernetes label selector semantics: every term must hold; an empty selector selects everything. */
export function matchesSelector(selector: CompiledSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of selector.matchLabels) if (labels[k] !== v) return false;
  for (const e of selector.expressions) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || !e.values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && e.values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

export type { LabelSelector };

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function stringList(raw: unknown, path: string, r: Report): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) {
    r(path, 'must be a list of strings');
    return undefined;
  }
  const out: string[] = [];
  raw.forEach((v: unknown, i: number) => {
    if (typeof v !== 'string' || v === '') r(`${path}[${i}]`, 'must be a non-empty string');
    else out.push(v);
  });
  return out;
}

function enumOf<T extends string>(raw: unknown, values: readonly T[], path: string, r: Report): T | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!values.includes(raw as T)) {
    r(path, `must be one of ${values.join(', ')}`);
    return undefined;
  }
  return raw as T;
}

function checkFields(object: Rec, known: readonly string[], path: string, r: Report): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) r(`${path}.${key}`, `unknown field; expected one of ${known.join(', ')}`);
  }
}

function countingReport(report: Report): { report: Report; count: () => number } {
  let n = 0;
  return {
    report: (path, message) => {
      n++;
      report(path, message);
    },
    count: () => n,
  };
}

function isRec(value: unknown): value is Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
