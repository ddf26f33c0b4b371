/**
 * UsagePolicy status, pure: the `Ready` condition from what the compiler said, the `Exceeded`
 * condition from the use read out of the shared store, and which spend-budget crossings (80 %, 100 %)
 * are new in the current windows. The operator does the I/O (operator.ts).
 */
import type {
  CompiledUsagePolicy,
  CompileProblem,
  Condition,
  UsagePolicyLimitStatus,
} from '../../gateway/src/config/index.js';

/** Percentages of a spend budget that each record one Event per window. */
export const BUDGET_THRESHOLDS = [80, 100] as const;
const BUDGET_LIMITS = new Set(['usdPerDay', 'usdPerMonth']);

export const USAGE_REASONS = {
  enforced: 'Enforced',
  invalidSpec: 'InvalidSpec',
  withinLimits: 'WithinLimits',
  storeUnavailable: 'StoreUnavailable',
  noSharedStore: 'NoSharedStore',
} as const;

export type PendingCondition = Omit<Condition, 'lastTransitionTime'>;

/** `Ready`: True when the policy is in the published config, else False with the compiler's words. */
export function readyCondition(
  compiled: CompiledUsagePolicy | undefined,
  problems: readonly CompileProblem[],
  generation: number | undefined,
): PendingCondition {
  const base = generation === undefined ? {} : { observedGeneration: generation };
  if (!compiled) {
    const message =
      problems.length > 0
        ? problems.map((p) => `${p.path}: ${p.message}`).join('; ')
        : 'not compiled into the gateway config';
    return { type: 'Ready', status: 'False', reason: USAGE_REASONS.invalidSpec, message, ...base };
  }
  const scope =
    compiled.models === undefined
      ? 'every model'
      : compiled.models.length === 1
        ? '1 model'
        : `${compiled.models.length} models`;
  const who =
    compiled.subjects.length === 0
      ? 'every caller'
      : `${compiled.subjects.length} subject${compiled.subjects.length === 1 ? '' : 's'}`;
  return {
    type: 'Ready',
    status: 'True',
    reason: USAGE_REASONS.enforced,
    message: `enforced by the gateway for ${who} on ${scope}`,
    ...base,
  };
}

/** The reason naming a limit: `usdPerDay` → `UsdPerDay`. */
export function limitReason(limit: string): string {
  return limit.charAt(0).toUpperCase() + limit.slice(1);
}

function amount(limit: string, n: number): string {
  return BUDGET_LIMITS.has(limit) ? `${n.toFixed(2)} USD` : String(n);
}

/** `Exceeded`: True naming the first limit whose use reached its maximum. */
export function exceededCondition(usage: readonly UsagePolicyLimitStatus[]): PendingCondition {
  const over = usage.filter((u) => u.used >= u.max);
  const first = over[0];
  if (!first) {
    return {
      type: 'Exceeded',
      status: 'False',
      reason: USAGE_REASONS.withinLimits,
      message: 'every limit has room',
    };
  }
  return {
    type: 'Exceeded',
    status: 'True',
    reason: limitReason(first.limit),
    message: over
      .map(
        (u) =>
          `${u.limit}: ${amount(u.limit, u.used)} of ${amount(u.limit, u.max)}${u.resetsAt ? ` until ${u.resetsAt}` : ''}`,
      )
      .join('; '),
  };
}

export interface BudgetCrossing {
  limit: string;
  threshold: (typeof BUDGET_THRESHOLDS)[number];
  used: number;
  max: number;
  resetsAt: string;
}

/** The id of one crossing in `status.reportedCrossings`: limit, threshold and the end of its window. */
export function crossingId(limit: string, threshold: number, resetsAt: string): string {
  return `${limit} ${threshold} ${resetsAt}`;
}

/**
 * The crossings to report now, and the list to keep. A crossing is reported once per window: its id
 * names the window's end, ids of windows that ended are dropped. When use jumps past both thresholds
 * between two readings, only the highest is reported (both are remembered).
 */
export function budgetCrossings(
  usage: readonly UsagePolicyLimitStatus[],
  reported: readonly string[],
): { report: BudgetCrossing[]; keep: string[] } {
  const current = new Set<string>();
  const report: BudgetCrossing[] = [];
  const already = new Set(reported);
  for (const u of usage) {
    if (!BUDGET_LIMITS.has(u.limit) || !u.resetsAt || !(u.max > 0)) continue;
    const percent = (u.used / u.max) * 100;
    let highestNew: BudgetCrossing | undefined;
    for (const threshold of BUDGET_THRESHOLDS) {
      const id = crossingId(u.limit, threshold, u.resetsAt);
      if (percent < threshold) continue;
      current.add(id);
      if (!already.has(id)) highestNew = { limit: u.limit, threshold, used: u.used, max: u.max, resetsAt: u.resetsAt };
    }
    if (highestNew) report.push(highestNew);
  }
  return { report, keep: [...current].sort() };
}

/** The Event of one crossing: reason and note. */
export function crossingEvent(policy: string, c: BudgetCrossing): { reason: string; note: string } {
  const window = c.limit === 'usdPerDay' ? 'day' : 'month';
  const percent = Math.floor((c.used / c.max) * 100);
  return {
    reason: c.threshold >= 100 ? 'BudgetExceeded' : 'BudgetWarning',
    note:
      `UsagePolicy ${policy}: ${c.limit} ${c.used.toFixed(2)} of ${c.max.toFixed(2)} USD spent (${percent} %, ` +
      `threshold ${c.threshold} %) in the ${window} ending ${c.resetsAt}` +
      (c.threshold >= 100 ? '; matching requests get 429 budget_exceeded until then' : ''),
  };
}
