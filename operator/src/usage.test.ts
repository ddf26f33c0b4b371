import { describe, expect, it } from 'vitest';
import type { CompiledUsagePolicy } from '../../gateway/src/config/index.js';
import { budgetCrossings, crossingEvent, crossingId, exceededCondition, readyCondition } from './usage.js';

const DAY_END = '2026-12-04T00:00:00.000Z';
const MONTH_END = '2027-01-01T00:00:00.000Z';

describe('budgetCrossings', () => {
  it('reports 80 % once, then 100 % once, in the same window', () => {
    const at = (used: number) => [{ limit: 'usdPerDay', max: 50, used, resetsAt: DAY_END }];
    const first = budgetCrossings(at(30), []);
    expect(first.report).toEqual([]);
    const warn = budgetCrossings(at(41), first.keep);
    expect(warn.report.map((c) => c.threshold)).toEqual([80]);
    expect(budgetCrossings(at(45), warn.keep).report).toEqual([]);
    const over = budgetCrossings(at(50), warn.keep);
    expect(over.report.map((c) => c.threshold)).toEqual([100]);
    expect(over.keep).toEqual([crossingId('usdPerDay', 100, DAY_END), crossingId('usdPerDay', 80, DAY_END)].sort());
    expect(budgetCrossings(at(60), over.keep).report).toEqual([]);
  });

  it('reports only the highest threshold when use jumps past both, and again in the next window', () => {
    const jump = budgetCrossings([{ limit: 'usdPerMonth', max: 10, used: 12, resetsAt: MONTH_END }], []);
    expect(jump.report).toEqual([{ limit: 'usdPerMonth', threshold: 100, used: 12, max: 10, resetsAt: MONTH_END }]);
    const next = budgetCrossings(
      [{ limit: 'usdPerMonth', max: 10, used: 9, resetsAt: '2027-02-01T00:00:00.000Z' }],
      jump.keep,
    );
    expect(next.report.map((c) => c.threshold)).toEqual([80]);
    expect(next.keep).toEqual([crossingId('usdPerMonth', 80, '2027-02-01T00:00:00.000Z')]);
  });

  it('ignores rate limits', () => {
    expect(budgetCrossings([{ limit: 'requestsPerMinute', max: 1, used: 5, resetsAt: DAY_END }], []).report).toEqual(
      [],
    );
  });

  it('words the Event with the amounts, the window and what follows', () => {
    const e = crossingEvent('ml-budget', {
      limit: 'usdPerDay',
      threshold: 100,
      used: 50.5,
      max: 50,
      resetsAt: DAY_END,
    });
    expect(e.reason).toBe('BudgetExceeded');
    expect(e.note).toBe(
      `UsagePolicy ml-budget: usdPerDay 50.50 of 50.00 USD spent (101 %, threshold 100 %) in the day ending ${DAY_END}; matching requests get 429 budget_exceeded until then`,
    );
    expect(
      crossingEvent('p', { limit: 'usdPerMonth', threshold: 80, used: 8, max: 10, resetsAt: MONTH_END }).reason,
    ).toBe('BudgetWarning');
  });
});

describe('conditions', () => {
  it('Exceeded names the first limit at its maximum', () => {
    expect(
      exceededCondition([
        { limit: 'requestsPerMinute', max: 60, used: 12, resetsAt: DAY_END },
        { limit: 'usdPerDay', max: 50, used: 50, resetsAt: DAY_END },
      ]),
    ).toEqual({
      type: 'Exceeded',
      status: 'True',
      reason: 'UsdPerDay',
      message: `usdPerDay: 50.00 USD of 50.00 USD until ${DAY_END}`,
    });
    expect(exceededCondition([{ limit: 'concurrentRequests', max: 4, used: 3 }])).toMatchObject({
      status: 'False',
      reason: 'WithinLimits',
    });
  });

  it('Ready carries the compiler problems, or what the policy applies to', () => {
    const compiled: CompiledUsagePolicy = {
      id: 'ns/p',
      name: 'p',
      subjects: ['team:ml'],
      per: 'shared',
      models: ['prod/claude', 'prod/nova'],
      limits: { tokenCount: 'total', usdPerDay: 5 },
      timeZone: 'UTC',
      failureMode: 'open',
    };
    expect(readyCondition(compiled, [], 2)).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'Enforced',
      message: 'enforced by the gateway for 1 subject on 2 models',
      observedGeneration: 2,
    });
    const bad = readyCondition(
      undefined,
      [
        {
          kind: 'UsagePolicy',
          namespace: 'ns',
          name: 'p',
          path: 'spec.timeZone',
          message: 'must be an IANA time zone',
          object: {},
        },
      ],
      3,
    );
    expect(bad).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
      message: 'spec.timeZone: must be an IANA time zone',
    });
  });
});
