/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`, e.g. `node dist/bench/run.js --profile DIR`): the
 * functions with the most self time, and the share of CPU by area of the streaming hot path. With a
 * `<name>.window.json` beside the profile (written by run.ts: the measured interval and the number of streams),
 * only samples inside the interval count, and each area is also given in µs per stream and per content chunk.
 *
 * Usage: node dist/bench/profile-summary.js FILE.cpuprofile [AFTER.cpuprofile] [--top N]
 *   With two files, the areas are printed side by side (before → after).
 *
 * Areas are decided from the sampled stack, leaf first: the first frame that matches a rule names the area, so
 * a Node.js internal (a Buffer copy, a stream callback) counts towards the code that called it, while JSON.parse,
 * JSON.stringify, socket writes and garbage collection are areas of their own wherever they are called from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  /** Self-time samples per source line (1-based) of this node, over the whole profile. */
  positionTicks?: { line: number; ticks: number }[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** Sampled CPU time in the window, µs, idle excluded. */
  busyMicros: number;
  windowMicros: number;
  streams: number | undefined;
  deltas: number | undefined;
  /** Whether a window file restricted the samples. */
  windowed: boolean;
  functions: { name: string; where: string; area: string; micros: number }[];
  /** The source lines with the most self time (inlined callees count towards the line that calls them). */
  lines: { where: string; text: string; area: string; micros: number }[];
  areas: { area: string; micros: number }[];
}

/** Area rules, tested against each frame from the leaf up; the first hit wins. */
const RULES: { area: string; test: (f: CallFrame) => boolean }[] = [
  { area: 'garbage collection', test: (f) => f.functionName === '(garbage collector)' },
  { area: 'JSON.parse', test: (f) => f.url === '' && f.functionName === 'parse' },
  { area: 'JSON.stringify', test: (f) => f.url === '' && f.functionName === 'stringify' },
  {
    area: 'socket writes',
    test: (f) =>
      /stream_base_commons|node:net$/.test(f.url) ||
      ['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString'].includes(f.functionName),
  },
  {
    area: 'event-stream decode',
    test: (f) => /upstream\/event-stream|eventstream-codec|@aws-crypto\/crc32|util-utf8/.test(f.url),
  },
  { area: 'translator', test: (f) => /\/translate\//.test(f.url) },
  { area: 'SSE writer', test: (f) => /server\/sse\./.test(f.url) },
  { area: 'SigV4 signing', test: (f) => /upstream\/auth\//.test(f.url) },
  {
    area: 'telemetry and logging',
    test: (f) => /\/telemetry\/|\/logging\/|prom-client|@opentelemetry|pino|\/activity\./.test(f.url),
  },
  {
    area: 'fastify',
    test: (f) =>
      /node_modules\/(fastify|@fastify|find-my-way|avvio|light-my-request|fast-json-stringify|fast-querystring)/.test(
        f.url,
      ),
  },
  { area: 'undici (upstream HTTP client)', test: (f) => /undici/.test(f.url) },
  { area: 'Node.js HTTP server', test: (f) => /node:_http_/.test(f.url) },
  { area: 'gateway: chat route', test: (f) => /server\/routes\/chat\./.test(f.url) },
  { area: 'gateway: upstream client', test: (f) => /\/upstream\//.test(f.url) },
  { area: 'gateway: other', test: (f) => /gateway\/src\//.test(f.url) },
];
const IDLE = '(idle)';

function classify(stack: CallFrame[]): string {
  for (const frame of stack) for (const rule of RULES) if (rule.test(frame)) return rule.area;
  const leaf = stack[0];
  if (leaf?.functionName === '(program)') return 'V8 and native (program)';
  return 'other (Node.js internals, promises, timers)';
}

function shortUrl(url: string): string {
  const at = url.search(/(gateway|bench|emulator)\/src\/|node_modules\//);
  return at >= 0 ? url.slice(at).replace(/^.*node_modules\//, '') : url.replace(/^file:\/\//, '');
}

/**
 * JSON.parse and JSON.stringify are V8 builtins: the profiler gives their time to the calling function, on the
 * line of the call. So does inlining (a small callee optimised into its caller). A line whose source calls one of
 * these is given to that area instead of its function's.
 */
const LINE_RULES: { area: string; test: RegExp }[] = [
  { area: 'JSON.parse', test: /JSON\.parse\(/ },
  { area: 'JSON.stringify', test: /JSON\.stringify\(/ },
  { area: 'translator', test: /\btranslator\.\w+\(/ },
];

const sourceCache = new Map<string, string[] | undefined>();
function sourceLine(url: string, line: number): string | undefined {
  if (!url.startsWith('file://')) return undefined;
  let lines = sourceCache.get(url);
  if (!sourceCache.has(url)) {
    try {
      lines = readFileSync(new URL(url), 'utf8').split('\n');
    } catch {
      lines = undefined;
    }
    sourceCache.set(url, lines);
  }
  return lines?.[line - 1]?.trim();
}

export function summariseProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const windowFile = file.replace(/\.cpuprofile$/, '.window.json');
  let from = profile.startTime;
  let to = profile.endTime;
  let streams: number | undefined;
  let deltas: number | undefined;
  let windowed = false;
  let slices: [number, number][] | undefined;
  if (existsSync(windowFile)) {
    const w = JSON.parse(readFileSync(windowFile, 'utf8')) as {
      startMicros: number;
      endMicros: number;
      /** The measured intervals, when the run was cut in slices (`--profile-slices`); else the one above. */
      windows?: [number, number][];
      streams: number;
      deltas: number;
    };
    // Both are CLOCK_MONOTONIC µs on Linux; a window outside the profile means another clock, so ignore it.
    if (w.startMicros >= profile.startTime && w.endMicros <= profile.endTime + 1e6) {
      from = w.startMicros;
      to = Math.min(w.endMicros, profile.endTime);
      slices = w.windows;
      streams = w.streams;
      deltas = w.deltas;
      windowed = true;
    }
  }
  const windows: [number, number][] = slices ?? [[from, to]];
  const inWindow = (t: number) => {
    for (const [a, b] of windows) if (t >= a && t <= b) return true;
    return false;
  };
  const stackCache = new Map<number, { area: string; leaf: CallFrame }>();
  const stackOf = (id: number) => {
    let hit = stackCache.get(id);
    if (!hit) {
      const stack: CallFrame[] = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(byId.get(at)!.callFrame);
      hit = { area: classify(stack), leaf: stack[0]! };
      stackCache.set(id, hit);
    }
    return hit;
  };
  const fnTime = new Map<string, { name: string; where: string; area: string; micros: number }>();
  const nodeTime = new Map<number, number>();
  let busy = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from || t > to || !inWindow(t)) continue;
    // A sample stands for the time until the next one.
    const weight = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    const { area, leaf } = stackOf(id);
    if (leaf.functionName === IDLE) continue;
    busy += weight;
    nodeTime.set(id, (nodeTime.get(id) ?? 0) + weight);
    const where = leaf.url ? `${shortUrl(leaf.url)}:${leaf.lineNumber + 1}` : '(native)';
    const key = `${leaf.functionName}@${where}`;
    const entry = fnTime.get(key) ?? { name: leaf.functionName || '(anonymous)', where, area, micros: 0 };
    entry.micros += weight;
    fnTime.set(key, entry);
  }
  // Areas and hot lines: each node's self time is spread over its lines in proportion to their ticks.
  const areaTime = new Map<string, number>();
  const lineTime = new Map<string, { where: string; text: string; area: string; micros: number }>();
  for (const [id, micros] of nodeTime) {
    const node = byId.get(id)!;
    const { area } = stackOf(id);
    const ticks = node.positionTicks ?? [];
    const total = ticks.reduce((a, x) => a + x.ticks, 0);
    if (total === 0) {
      areaTime.set(area, (areaTime.get(area) ?? 0) + micros);
      continue;
    }
    for (const { line, ticks: n } of ticks) {
      const part = (micros * n) / total;
      const text = sourceLine(node.callFrame.url, line) ?? `(${node.callFrame.functionName || 'anonymous'})`;
      const lineArea = LINE_RULES.find((r) => r.test.test(text))?.area ?? area;
      areaTime.set(lineArea, (areaTime.get(lineArea) ?? 0) + part);
      if (!node.callFrame.url) continue;
      const where = `${shortUrl(node.callFrame.url)}:${line}`;
      const entry = lineTime.get(where) ?? { where, text: text.slice(0, 90), area: lineArea, micros: 0 };
      entry.micros += part;
      lineTime.set(where, entry);
    }
  }
  return {
    file,
    busyMicros: busy,
    windowMicros: windows.reduce((sum, [a, b]) => sum + Math.min(b, to) - Math.max(a, from), 0),
    streams,
    deltas,
    windowed,
    functions: [...fnTime.values()].sort((a, b) => b.micros - a.micros).slice(0, top),
    lines: [...lineTime.values()].sort((a, b) => b.micros - a.micros).slice(0, top),
    areas: [...areaTime.entries()].map(([area, micros]) => ({ area, micros })).sort((a, b) => b.micros - a.micros),
  };
}

const ms = (micros: number) => (micros / 1000).toFixed(0);
const share = (part: number, whole: number) => `${((100 * part) / whole).toFixed(1)} %`;

export function formatSummary(s: ProfileSummary): string {
  const lines: string[] = [];
  // `deltas: 0` in the window file: a profile of non-streaming requests, given per request.
  const requests = s.deltas === 0;
  const per = s.streams
    ? requests
      ? ` over ${s.streams} requests`
      : ` over ${s.streams} streams (${s.deltas} content deltas each)`
    : '';
  lines.push(
    `${s.file}: ${ms(s.busyMicros)} ms of CPU in ${ms(s.windowMicros)} ms${s.windowed ? ' (the measured run only)' : ' (whole profile)'}${per}.`,
  );
  lines.push('');
  const perStream = s.streams ? (requests ? ' | µs per request' : ' | µs per stream | µs per chunk') : '';
  lines.push(`| area | CPU ms | share${perStream} |`);
  lines.push(`|---|---|---|${s.streams ? (requests ? '---|' : '---|---|') : ''}`);
  const perUnit = (micros: number) =>
    s.streams
      ? requests
        ? ` | ${(micros / s.streams).toFixed(1)}`
        : ` | ${(micros / s.streams).toFixed(1)} | ${(micros / s.streams / (s.deltas ?? 1)).toFixed(2)}`
      : '';
  for (const a of s.areas)
    lines.push(`| ${a.area} | ${ms(a.micros)} | ${share(a.micros, s.busyMicros)}${perUnit(a.micros)} |`);
  if (s.streams) lines.push(`| **all** | ${ms(s.busyMicros)} | 100 %${perUnit(s.busyMicros)} |`);
  lines.push('');
  lines.push('| function (self time) | where | area | CPU ms | share |');
  lines.push('|---|---|---|---|---|');
  for (const fn of s.functions) {
    lines.push(`| ${fn.name} | ${fn.where} | ${fn.area} | ${ms(fn.micros)} | ${share(fn.micros, s.busyMicros)} |`);
  }
  lines.push('');
  lines.push('| source line (self time, inlined callees included) | where | area | CPU ms | share |');
  lines.push('|---|---|---|---|---|');
  for (const l of s.lines) {
    const text = l.text.replace(/\|/g, '\\|').replace(/`/g, "'");
    lines.push(`| \`${text}\` | ${l.where} | ${l.area} | ${ms(l.micros)} | ${share(l.micros, s.busyMicros)} |`);
  }
  return lines.join('\n');
}

/** Before → after by area, per stream (or request) when both profiles know their count, else as shares. */
export function formatComparison(before: ProfileSummary, after: ProfileSummary): string {
  const perStream = before.streams !== undefined && after.streams !== undefined;
  const value = (s: ProfileSummary, micros: number) =>
    perStream ? `${(micros / s.streams!).toFixed(1)} µs` : share(micros, s.busyMicros);
  const areas = [...new Set([...before.areas, ...after.areas].map((a) => a.area))];
  const unit = before.deltas === 0 ? 'per request' : 'per stream';
  const lines = [`| area | before (${perStream ? unit : 'share'}) | after |`, '|---|---|---|'];
  for (const area of areas) {
    const b = before.areas.find((a) => a.area === area)?.micros ?? 0;
    const a = after.areas.find((x) => x.area === area)?.micros ?? 0;
    lines.push(`| ${area} | ${value(before, b)} | ${value(after, a)} |`);
  }
  lines.push(`| **all** | ${value(before, before.busyMicros)} | ${value(after, after.busyMicros)} |`);
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('profile-summary.js')) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' } },
  });
  if (positionals.length === 0) {
    process.stderr.write('usage: profile-summary FILE.cpuprofile [AFTER.cpuprofile] [--top N]\n');
    process.exit(2);
  }
  const summaries = positionals.map((file) => summariseProfile(file, Number(values.top)));
  for (const s of summaries) process.stdout.write(`${formatSummary(s)}\n\n`);
  if (summaries.length === 2) process.stdout.write(`${formatComparison(summaries[0]!, summaries[1]!)}\n`);
}
