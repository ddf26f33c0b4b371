/**
 * The metric names a PromQL expression reads, so tests can check every dashboard query and alert rule
 * against what the gateway and operator really export. No PromQL parser ships for Node outside the
 * Prometheus UI's editor packages, and names are all a test needs: a tokenizer that drops strings,
 * comments, label matchers, range and subquery brackets, grouping label lists, numbers, durations,
 * Grafana variables, keywords and function names leaves exactly the metric selectors.
 */

/** PromQL words that are not metric names where an identifier may stand (binary and set operators, modifiers, literals). */
const KEYWORDS = new Set(['and', 'or', 'unless', 'atan2', 'bool', 'offset', 'inf', 'nan']);

/** Keywords followed by a parenthesised label list (`by (le)`), which holds label names, not metrics. */
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

type Token =
  | { kind: 'ident'; text: string }
  | { kind: 'matchers'; text: string }
  | { kind: 'punct'; text: string }
  | { kind: 'other' };

function closing(src: string, from: number, open: string, close: string): number {
  let depth = 0;
  for (let i = from; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === "'" || c === '`') {
      i = endOfString(src, i);
      continue;
    }
    if (c === open) depth++;
    else if (c === close && --depth === 0) return i;
  }
  throw new Error(`unbalanced ${open} at ${from} in: ${src}`);
}

function endOfString(src: string, start: number): number {
  const quote = src[start];
  for (let i = start + 1; i < src.length; i++) {
    if (src[i] === '\\' && quote !== '`') i++;
    else if (src[i] === quote) return i;
  }
  throw new Error(`unterminated string at ${start} in: ${src}`);
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      const nl = src.indexOf('\n', i);
      i = nl < 0 ? src.length : nl + 1;
    } else if (c === '"' || c === "'" || c === '`') {
      i = endOfString(src, i) + 1;
      tokens.push({ kind: 'other' });
    } else if (c === '{') {
      const end = closing(src, i, '{', '}');
      tokens.push({ kind: 'matchers', text: src.slice(i + 1, end) });
      i = end + 1;
    } else if (c === '[') {
      // Range and subquery durations, Grafana's [$__rate_interval].
      i = closing(src, i, '[', ']') + 1;
    } else if (c === '$') {
      // A Grafana variable outside a string: $name, ${name}, ${name:format}, $__interval.
      const m = /^\$(\{[^}]*\}|\w+)/.exec(src.slice(i));
      i += m ? m[0].length : 1;
      tokens.push({ kind: 'other' });
    } else if (/[0-9.]/.test(c)) {
      // Numbers (0.95, 1e3, 0x1f) and durations (5m, 1h30m) in one token, so `1e3` never yields `e3`.
      const m = /^(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?([a-zA-Z]+[0-9]*)*)/.exec(src.slice(i));
      i += m?.[0].length || 1;
      tokens.push({ kind: 'other' });
    } else if (/[a-zA-Z_:]/.test(c)) {
      const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(src.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'ident', text: m[0] });
      i += m[0].length;
    } else {
      tokens.push({ kind: 'punct', text: c });
      i++;
    }
  }
  return tokens;
}

/** `__name__="x"` inside a matcher block names metric x. */
function namesInMatchers(body: string): string[] {
  const names: string[] = [];
  for (const m of body.matchAll(/__name__\s*(=~|!=|!~|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)/g)) {
    const value = (m[2] as string).slice(1, -1);
    if (m[1] !== '=') throw new Error(`__name__${m[1]} selects metrics by pattern; name them instead: ${body}`);
    names.push(value);
  }
  return names;
}

/** One vector selector: the metric and the label names its matchers use. */
export interface Selector {
  name: string;
  labels: string[];
}

/** What a PromQL expression reads: its selectors, and the label names of its by/without/on/ignoring/group_* lists. */
export interface PromQLReads {
  selectors: Selector[];
  groupingLabels: string[];
}

function matcherLabels(body: string): string[] {
  const bare = body.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  return [...bare.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)]
    .map((m) => m[1] as string)
    .filter((l) => l !== '__name__');
}

/** Reads `expr`. Throws on unbalanced brackets or strings, and on metrics selected by pattern. */
export function readPromQL(expr: string): PromQLReads {
  const tokens = tokenize(expr);
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === '(') depth++;
    if (t.kind === 'punct' && t.text === ')' && --depth < 0) break;
  }
  if (depth !== 0) throw new Error(`unbalanced ( in: ${expr}`);
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'matchers') {
      // A selector without a name before it: {__name__="x", ...}.
      for (const name of namesInMatchers(t.text)) selectors.push({ name, labels: matcherLabels(t.text) });
      continue;
    }
    if (t.kind !== 'ident') continue;
    const next = tokens[i + 1];
    if (LABEL_LIST_KEYWORDS.has(t.text)) {
      // The label list: `by (a, b)`; group_left may stand without one.
      if (next?.kind === 'punct' && next.text === '(') {
        let j = i + 2;
        for (; j < tokens.length; j++) {
          const u = tokens[j] as Token;
          if (u.kind === 'punct' && u.text === ')') break;
          if (u.kind === 'ident') groupingLabels.push(u.text);
        }
        i = j;
      }
      continue;
    }
    if (KEYWORDS.has(t.text.toLowerCase())) continue;
    // A function or aggregation call: `rate(`, `sum(`, `histogram_quantile(`; an aggregation with its
    // grouping first: `sum by (le) (`.
    if (next?.kind === 'punct' && next.text === '(') continue;
    if (next?.kind === 'ident' && (next.text === 'by' || next.text === 'without')) continue;
    if (next?.kind === 'matchers') {
      selectors.push({ name: t.text, labels: matcherLabels(next.text) });
      i++;
    } else {
      selectors.push({ name: t.text, labels: [] });
    }
  }
  return { selectors, groupingLabels: [...new Set(groupingLabels)] };
}

/** Every metric name `expr` selects, in order of first appearance. */
export function metricNamesOf(expr: string): string[] {
  return [...new Set(readPromQL(expr).selectors.map((s) => s.name))];
}

/**
 * The metric a Grafana template-variable query reads: `label_values(<selector>, label)`,
 * `query_result(<promql>)`, `metrics(<regex>)` is refused (it names no metric).
 */
export function metricNamesOfVariableQuery(query: string): string[] {
  return [...new Set(readVariableQuery(query).selectors.map((s) => s.name))];
}

/** What a Grafana template-variable query reads; label_values' label counts as a grouping label. */
export function readVariableQuery(query: string): PromQLReads {
  const labelValues = /^\s*label_values\(\s*(.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/s.exec(query);
  if (labelValues) {
    const reads = readPromQL(labelValues[1] as string);
    return { selectors: reads.selectors, groupingLabels: [...reads.groupingLabels, labelValues[2] as string] };
  }
  const result = /^\s*query_result\(\s*(.*)\)\s*$/s.exec(query);
  if (result) return readPromQL(result[1] as string);
  throw new Error(`variable query names no metric: ${query}`);
}
