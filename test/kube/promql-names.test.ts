import { describe, expect, it } from 'vitest';
import { metricNamesOf, metricNamesOfVariableQuery, readPromQL, readVariableQuery } from './promql-names.js';

describe('metricNamesOf', () => {
  it.each([
    ['up', ['up']],
    ['aigw_requests_total{status=~"5..",route="/v1/chat/completions"}', ['aigw_requests_total']],
    [
      'histogram_quantile(0.95, sum by (le, model) (rate(aigw_request_duration_seconds_bucket{namespace=~"$namespace"}[$__rate_interval])))',
      ['aigw_request_duration_seconds_bucket'],
    ],
    [
      'sum(rate(a_total{x="by (b)"}[5m])) by (le) / on (pod) group_left (revision) max without (instance) (b_info)',
      ['a_total', 'b_info'],
    ],
    ['(sum(aigw_operator_leader{namespace="ns"}) or vector(0)) < 1', ['aigw_operator_leader']],
    ['topk(10, sum by (subject) (increase(cost_total[$__range]))) > 1e3', ['cost_total']],
    ['rate(x[5m] offset 1h) and bool y unless z', ['x', 'y', 'z']],
    ['{__name__="named_in_matchers", job="a"}', ['named_in_matchers']],
    ['label_replace(m, "dst", "$1", "src", "(.*)")', ['m']],
    ['rate(m[5m:30s]) # a comment naming not_a_metric\n* 60', ['m']],
    ['job:requests:rate5m * on (job) group_left n', ['job:requests:rate5m', 'n']],
    ['sum(rate(m{a="}"}[1h30m]))', ['m']],
  ])('%s', (expr, names) => {
    expect(metricNamesOf(expr)).toEqual(names);
  });

  it('refuses what it cannot read rather than guessing', () => {
    expect(() => metricNamesOf('sum(rate(m[5m])')).toThrow(/unbalanced/);
    expect(() => metricNamesOf('m{a="b}')).toThrow();
    expect(() => metricNamesOf('{__name__=~"aigw_.*"}')).toThrow(/by pattern/);
  });
});

describe('metricNamesOfVariableQuery', () => {
  it('reads the selector of label_values and query_result', () => {
    expect(metricNamesOfVariableQuery('label_values(aigw_requests_total{namespace=~"$namespace"}, account)')).toEqual([
      'aigw_requests_total',
    ]);
    expect(metricNamesOfVariableQuery('query_result(topk(5, sum by (model) (m)))')).toEqual(['m']);
    expect(() => metricNamesOfVariableQuery('label_names()')).toThrow(/names no metric/);
  });
});

describe('readPromQL', () => {
  it('pairs each selector with the labels its matchers use, and collects grouping labels', () => {
    expect(
      readPromQL(
        'sum by (namespace, account) (rate(a_total{namespace="x",exception="by (y)", route!~"/v1/.*"}[5m])) / on (pod) group_left (revision) b_info',
      ),
    ).toEqual({
      selectors: [
        { name: 'a_total', labels: ['namespace', 'exception', 'route'] },
        { name: 'b_info', labels: [] },
      ],
      groupingLabels: ['namespace', 'account', 'pod', 'revision'],
    });
    expect(readPromQL('{__name__="m", job="a"}').selectors).toEqual([{ name: 'm', labels: ['job'] }]);
  });

  it("counts label_values' label as a label the variable reads", () => {
    expect(readVariableQuery('label_values(aigw_requests_total{namespace=~"$namespace"}, account)')).toEqual({
      selectors: [{ name: 'aigw_requests_total', labels: ['namespace'] }],
      groupingLabels: ['account'],
    });
  });
});
