/**
 * `node dist/bench/instructions.js`: the CPU instructions `aigw serve` executes per streamed chat completion and per
 * non-streamed chat request, counted by valgrind's callgrind and attributed to areas and functions, JIT-compiled
 * JavaScript included. CPU time on a small shared VM drifts by ±20 % between runs; the instructions the same
 * requests execute do not, so a count resolves changes that `make bench` cannot (docs/benchmarks.md, Instruction
 * counts).
 *
 * The fixture is bench/run.ts's (bench/lib/fixture.ts): answers recorded from `aigw emulator` at the start, a
 * ConverseStream answer of 50 content deltas and a Converse answer, replayed by bench/bedrock-stub.ts, each stream
 * in one write. aigw runs under `valgrind --tool=callgrind --instr-atstart=no` with the container image's node flags
 * and environment, at log level warn, plus `--perf-basic-prof`, so V8 names the code it generates in
 * /tmp/perf-<pid>.map. For each kind of request: --warmup requests uncounted (V8 keeps optimising the stream path
 * until about 10,000 streams, by --trace-opt; with fewer, its compiler runs inside the counted window), then
 * counting on (`callgrind_control --instr=on`) for --requests requests at --concurrency, off, and a dump. Each dump
 * is read with `callgrind_annotate` (self instructions per function), generated code named from the perf map
 * (bench/lib/callgrind.ts). Counts are of the whole process, every thread, while counting was on.
 *
 * Reported per stream or request: the total; areas (aigw's modules, npm packages, Node's JavaScript, V8's built-ins,
 * V8's runtime and GC, V8's optimising compiler, OpenSSL, libc, Node's native code, regular expressions, ...); and
 * the --top functions by self instructions. The compiler's row should be near zero once warm: it is printed so that
 * a reader can check.
 *
 * Options: --kinds stream,chat (both) --warmup N (15000) --requests N (1000) --concurrency N (8) --top N (30)
 *          --baseline DIR: first measure another build, DIR/gateway/src/cli/aigw.js (a copy of `dist/` beside a
 *            `package.json` and `node_modules`, as for run.ts's --aigw-b-build), then this one, and print both side
 *            by side with the difference
 *          --keep DIR: keep the callgrind dumps and perf maps there (otherwise a temporary directory, removed)
 *          --out FILE (bench/results/instructions.json): the numbers as JSON
 *
 * Needs valgrind (`apt-get install valgrind`: valgrind, callgrind_control, callgrind_annotate); exits with 2 without
 * it. Under valgrind aigw serves about 400 streams a second uncounted and 100 counted: the defaults take about
 * 1.5 minutes a build.
 */
import { execFile, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { Pool } from 'undici';
import type { Recordings } from './bedrock-stub.js';
import { AREA, breakDownFile, type CostBreakdown } from './lib/callgrind.js';
import {
  API_KEY,
  countDeltas,
  imageEnv,
  imageNodeFlags,
  openaiBody,
  PROMPT,
  record,
  replyWords,
  SERVED,
  writeGatewayConfig,
} from './lib/fixture.js';
import { aigwServeArgs, freePort, httpOk, type Managed, startProcess } from './lib/processes.js';

const runFile = promisify(execFile);

const { values: args } = parseArgs({
  options: {
    kinds: { type: 'string', default: 'stream,chat' },
    warmup: { type: 'string', default: '15000' },
    requests: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '8' },
    top: { type: 'string', default: '30' },
    baseline: { type: 'string' },
    keep: { type: 'string' },
    out: { type: 'string', default: 'bench/results/instructions.json' },
  },
});

type Kind = 'stream' | 'chat';
const KINDS = args.kinds.split(',').map((k) => {
  if (k !== 'stream' && k !== 'chat') throw new Error(`--kinds: ${k} is neither stream nor chat`);
  return k as Kind;
});
const WARMUP = count('warmup', 0);
const REQUESTS = count('requests', 1);
const CONCURRENCY = count('concurrency', 1);
const TOP = count('top', 0);

/** Content deltas of the recorded stream, as in bench/run.ts's default. */
const DELTAS = 50;
/** This build: the `dist` directory this module was compiled into. */
const BUILD = realpathSync(fileURLToPath(new URL('..', import.meta.url)));
const REPO = resolve(BUILD, '..');
const AIGW_SCRIPT = 'gateway/src/cli/aigw.js';
/**
 * V8 names the code it generates in /tmp/perf-<pid>.map; the same flag also turns on V8's event log, which would
 * otherwise land as isolate-*.log in the working directory.
 */
const PROFILE_FLAGS = ['--perf-basic-prof', '--logfile=/dev/null', '--no-logfile-per-isolate'];
const STUB = fileURLToPath(new URL('./bedrock-stub.js', import.meta.url));
/** aigw as the container image starts it (bench/run.ts does the same). */
const IMAGE_NODE_FLAGS = imageNodeFlags(join(REPO, 'Dockerfile'));
const IMAGE_ENV = imageEnv(join(REPO, 'Dockerfile'));
/** Under valgrind aigw takes 10–30 s to answer /readyz. */
const READY_TIMEOUT_MS = 120_000;
/** Idle time between the warm-up and counting: what the warm-up leaves queued (a compile job, a GC) ends first. */
const SETTLE_MS = 1000;
const SSE_DONE = Buffer.from('data: [DONE]\n\n');
/** Areas below this share of the total (in both builds) are summed into one row. */
const SMALL_AREA = 0.0005;

const KIND_TITLE: Record<Kind, string> = {
  stream: `Streamed chat completions (${DELTAS} content deltas, the stub sends each stream in one write): instructions per stream`,
  chat: 'Non-streamed chat requests: instructions per request',
};

/** One kind of request through one build, per request. */
interface KindResult {
  requests: number;
  bytesPerResponse: number;
  /** Wall time of the counted requests under valgrind. */
  seconds: number;
  instructions: number;
  areas: Record<string, number>;
  /** The 200 costliest functions by self instructions. */
  functions: { name: string; area: string; instructions: number }[];
  /** Every function's self instructions (not written to the JSON file). */
  allFunctions: Map<string, number>;
  /** Where the dump was kept (--keep). */
  callgrindFile?: string;
}

interface BuildResult {
  label: string;
  build: string;
  kinds: Partial<Record<Kind, KindResult>>;
  perfMap?: string;
}

/** Processes to stop and directories to remove on the way out, whichever way that is. */
const managed = new Set<Managed>();
const temporary: string[] = [];

function count(name: 'warmup' | 'requests' | 'concurrency' | 'top', min: number): number {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: a whole number of at least ${min}`);
  return n;
}

/** The tools this needs that are not on the PATH. */
function missingTools(): string[] {
  return ['valgrind', 'callgrind_control', 'callgrind_annotate'].filter(
    (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).error !== undefined,
  );
}

/** The PIDs of this process's live children (a child still starting is not yet in `managed`). */
function ownChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === process.pid && state !== 'Z') pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // exited meanwhile
  }
}

let shuttingDown: Promise<void> | undefined;
/** Stops every process this started (SIGTERM, then SIGKILL) and removes the temporary directories. */
function shutdown(graceMs: number): Promise<void> {
  shuttingDown ??= (async () => {
    const pids = new Set([...[...managed].map((m) => m.child.pid), ...ownChildren()]);
    await Promise.all([...managed].map((m) => m.stop(graceMs)));
    managed.clear();
    let left = ownChildren();
    for (const pid of left) signal(pid, 'SIGTERM');
    for (const deadline = Date.now() + graceMs; left.length > 0 && Date.now() < deadline; left = ownChildren())
      await sleep(100);
    for (const pid of left) signal(pid, 'SIGKILL');
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
    // The perf map of an aigw interrupted before measureBuild copied it.
    for (const pid of pids) if (pid !== undefined) rmSync(`/tmp/perf-${pid}.map`, { force: true });
  })();
  return shuttingDown;
}

async function callgrindControl(pid: number, option: string): Promise<void> {
  const { stdout, stderr } = await runFile('callgrind_control', [option, String(pid)]);
  if (/error/i.test(stdout + stderr)) throw new Error(`callgrind_control ${option} ${pid}: ${stdout}${stderr}`);
}

/**
 * Sends `n` chat requests of the kind over `concurrency` connections and checks each answer: HTTP 200 and, for a
 * stream, its closing `data: [DONE]`. Returns the bytes of a response, on average.
 */
async function send(pool: Pool, kind: Kind, n: number): Promise<number> {
  const body = openaiBody(kind === 'stream', SERVED);
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  let left = n;
  let bytes = 0;
  let failed = 0;
  let firstFailure = '';
  const worker = async (): Promise<void> => {
    while (left > 0) {
      left--;
      const res = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers, body });
      const answer = Buffer.from(await res.body.arrayBuffer());
      bytes += answer.length;
      const complete = kind === 'chat' || answer.subarray(-SSE_DONE.length).equals(SSE_DONE);
      if (res.statusCode !== 200 || !complete) {
        failed++;
        firstFailure ||= `HTTP ${res.statusCode}${complete ? '' : ' (stream not finished)'}: ${answer.subarray(0, 300)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, CONCURRENCY) }, worker));
  if (failed > 0) throw new Error(`${failed} of ${n} ${kind} requests failed; the first: ${firstFailure}`);
  return n > 0 ? bytes / n : 0;
}

/** The dumps callgrind has written for a process so far (`<label>.<pid>.out.<n>`). */
function dumpsOf(dir: string, label: string, pid: number): string[] {
  return readdirSync(dir).filter((f) => f.startsWith(`${label}.${pid}.out.`));
}

interface MeasureOptions {
  /** `aigw` (this build) or `baseline`: names the process and its files. */
  label: string;
  /** The build's `dist` directory. */
  buildDir: string;
  /** aigw's config (writeGatewayConfig). */
  configDir: string;
  /** Where callgrind writes its dumps and the perf map is copied. */
  dir: string;
  /** Whether `dir` is kept (--keep), so the report names the files in it. */
  keep: boolean;
}

/** Runs one build under callgrind through every kind of request and breaks each dump down. */
async function measureBuild({ label, buildDir, configDir, dir, keep }: MeasureOptions): Promise<BuildResult> {
  const gwPort = await freePort();
  const adminPort = await freePort();
  process.stderr.write(`${label}: starting ${join(buildDir, AIGW_SCRIPT)} under callgrind\n`);
  const aigw = await startProcess(
    `aigw (${label}) under callgrind`,
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      // V8 writes and rewrites code in anonymous memory: valgrind must notice it changed.
      '--smc-check=all-non-file',
      `--callgrind-out-file=${join(dir, `${label}.%p.out`)}`,
      process.execPath,
      ...PROFILE_FLAGS,
      ...IMAGE_NODE_FLAGS,
      ...aigwServeArgs(join(buildDir, AIGW_SCRIPT), configDir, gwPort, adminPort),
    ],
    () => httpOk(`http://127.0.0.1:${adminPort}/readyz`),
    { ...IMAGE_ENV, AIGW_LOG_LEVEL: 'warn' },
    undefined,
    undefined,
    READY_TIMEOUT_MS,
  );
  managed.add(aigw);
  // valgrind runs the program in its own process: node's PID is valgrind's.
  const pid = aigw.child.pid as number;
  const perfMap = `/tmp/perf-${pid}.map`;
  const pool = new Pool(`http://127.0.0.1:${gwPort}`, { connections: CONCURRENCY });
  const dumps: { kind: Kind; file: string; requests: number; bytesPerResponse: number; seconds: number }[] = [];
  const keptMap = join(dir, `${label}.perf-${pid}.map`);
  try {
    for (const kind of KINDS) {
      let started = performance.now();
      await send(pool, kind, WARMUP);
      const warmSeconds = (performance.now() - started) / 1000;
      await sleep(SETTLE_MS);
      await callgrindControl(pid, '--instr=on');
      started = performance.now();
      const bytesPerResponse = await send(pool, kind, REQUESTS);
      const seconds = (performance.now() - started) / 1000;
      await callgrindControl(pid, '--instr=off');
      const before = dumpsOf(dir, label, pid);
      await callgrindControl(pid, `--dump=${kind}`);
      const file = dumpsOf(dir, label, pid).find((f) => !before.includes(f));
      if (!file) throw new Error(`callgrind_control --dump wrote no file to ${dir}`);
      dumps.push({ kind, file: join(dir, file), requests: REQUESTS, bytesPerResponse, seconds });
      process.stderr.write(
        `${label}: ${kind}: ${WARMUP} warm-up (${(WARMUP / warmSeconds || 0).toFixed(0)}/s), ${REQUESTS} counted (${(REQUESTS / seconds).toFixed(0)}/s), ${bytesPerResponse.toFixed(0)} bytes each\n`,
      );
    }
    copyFileSync(perfMap, keptMap);
  } finally {
    await pool.destroy();
    await aigw.stop(60_000);
    managed.delete(aigw);
    rmSync(perfMap, { force: true });
  }

  const result: BuildResult = { label, build: buildDir, kinds: {}, ...(keep ? { perfMap: keptMap } : {}) };
  for (const d of dumps) {
    const named = join(dir, `callgrind.out.${label}-${d.kind}`);
    renameSync(d.file, named);
    const breakdown = await breakDownFile(named, keptMap, buildDir);
    result.kinds[d.kind] = {
      requests: d.requests,
      bytesPerResponse: d.bytesPerResponse,
      seconds: d.seconds,
      ...perRequest(breakdown, d.requests),
      ...(keep ? { callgrindFile: named } : {}),
    };
  }
  return result;
}

function perRequest(
  b: CostBreakdown,
  n: number,
): Pick<KindResult, 'instructions' | 'areas' | 'functions' | 'allFunctions'> {
  return {
    allFunctions: new Map([...b.functions].map(([name, f]) => [name, f.instructions / n])),
    instructions: b.total / n,
    areas: Object.fromEntries([...b.areas].sort((x, y) => y[1] - x[1]).map(([area, ir]) => [area, ir / n])),
    functions: [...b.functions]
      .sort((x, y) => y[1].instructions - x[1].instructions)
      .slice(0, 200)
      .map(([name, f]) => ({ name, area: f.area, instructions: f.instructions / n })),
  };
}

async function main(): Promise<number> {
  const missing = missingTools();
  if (missing.length > 0) {
    process.stderr.write(
      `instructions: ${missing.join(', ')} not found; install valgrind (apt-get install valgrind)\n`,
    );
    return 2;
  }
  if (args.baseline !== undefined && !existsSync(join(args.baseline, AIGW_SCRIPT))) {
    process.stderr.write(`instructions: --baseline ${args.baseline} has no ${AIGW_SCRIPT}\n`);
    return 2;
  }
  // Node names modules by their real path, and the report names them relative to the build.
  const baseline = args.baseline === undefined ? undefined : realpathSync(args.baseline);
  const benchStarted = Date.now();
  for (const name of ['SIGINT', 'SIGTERM'] as const)
    process.on(name, () => void shutdown(5000).then(() => process.exit(130)));
  try {
    const keep = args.keep !== undefined;
    const dir = keep ? resolve(args.keep as string) : mkdtempSync(join(tmpdir(), 'aigw-instructions-'));
    if (keep) mkdirSync(dir, { recursive: true });
    else temporary.push(dir);
    const workDir = mkdtempSync(join(tmpdir(), 'aigw-instructions-fixture-'));
    temporary.push(workDir);

    // 1. The stub's answers, recorded from this build's emulator.
    const emuPort = await freePort();
    const emulatorUrl = `http://127.0.0.1:${emuPort}`;
    const emulator = await startProcess(
      'emulator',
      process.execPath,
      [join(BUILD, AIGW_SCRIPT), 'emulator', '--port', String(emuPort)],
      () => httpOk(`${emulatorUrl}/_emulator/health`),
    );
    managed.add(emulator);
    const recordings: Recordings = {
      chat: await record(emulatorUrl, false, PROMPT),
      long: await record(emulatorUrl, true, `[[reply:${replyWords(DELTAS)}]]`),
      short: await record(emulatorUrl, true, `[[reply:${replyWords(5)}]]`),
    };
    await emulator.stop();
    managed.delete(emulator);
    if (countDeltas(recordings.long) !== DELTAS)
      throw new Error(`the recorded stream has ${countDeltas(recordings.long)} deltas, not ${DELTAS}`);
    const recordingsFile = join(workDir, 'recordings.json');
    writeFileSync(recordingsFile, JSON.stringify(recordings));

    // 2. The stub (its default: the long stream, in one write), and aigw's config pointing at it.
    const stubPort = await freePort();
    const stubUrl = `http://127.0.0.1:${stubPort}`;
    const stub = await startProcess(
      'stub',
      process.execPath,
      [STUB, '--port', String(stubPort), '--recordings', recordingsFile],
      () => httpOk(`${stubUrl}/_stub/health`),
    );
    managed.add(stub);
    const configDir = writeGatewayConfig(stubUrl);
    temporary.push(configDir);

    // 3. Each build under callgrind, the baseline first.
    const builds: BuildResult[] = [];
    if (baseline !== undefined)
      builds.push(await measureBuild({ label: 'baseline', buildDir: baseline, configDir, dir, keep }));
    builds.push(await measureBuild({ label: 'aigw', buildDir: BUILD, configDir, dir, keep }));

    const lines = report(builds, dir, keep);
    lines.push(
      `\nNode ${process.version}, ${valgrindVersion()}; ${((Date.now() - benchStarted) / 1000).toFixed(0)} s in all.`,
    );
    mkdirSync(join(args.out, '..'), { recursive: true });
    writeFileSync(
      args.out,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          node: process.version,
          valgrind: valgrindVersion(),
          nodeFlags: [...PROFILE_FLAGS, ...IMAGE_NODE_FLAGS],
          env: IMAGE_ENV,
          warmup: WARMUP,
          requests: REQUESTS,
          concurrency: CONCURRENCY,
          builds,
        },
        (_key, value: unknown) => (value instanceof Map ? undefined : value),
        2,
      ),
    );
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await shutdown(60_000);
  }
}

function valgrindVersion(): string {
  return spawnSync('valgrind', ['--version'], { encoding: 'utf8' }).stdout.trim();
}

// `+ 0` turns a -0 from rounding into 0.
const fmt = (n: number): string => (Math.round(n) + 0).toLocaleString('en-US');
const signed = (n: number): string => (Math.round(n) > 0 ? `+${fmt(n)}` : fmt(n));
const pct = (part: number, whole: number): string => (whole > 0 ? `${((part / whole) * 100).toFixed(1)} %` : '–');
function change(before: number, after: number): string {
  if (before <= 0) return '–';
  const percent = Number((((after - before) / before) * 100).toFixed(1)) + 0;
  return `${percent > 0 ? '+' : ''}${percent.toFixed(1)} %`;
}
/** A name as a markdown table cell: pipes escaped, long C++ signatures cut. */
const cell = (name: string): string => (name.length > 110 ? `${name.slice(0, 109)}…` : name).replaceAll('|', '\\|');

/** The markdown report: per kind, the total, the areas and the top functions (side by side with a baseline). */
function report(builds: BuildResult[], dir: string, keep: boolean): string[] {
  const lines: string[] = [];
  const after = builds[builds.length - 1] as BuildResult;
  const before = builds.length > 1 ? builds[0] : undefined;
  const env = Object.entries({ ...IMAGE_ENV, AIGW_LOG_LEVEL: 'warn' })
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  lines.push('## Instructions per request (callgrind)\n');
  lines.push(
    [
      `\`aigw serve\` under \`valgrind --tool=callgrind\`, \`node --perf-basic-prof ${IMAGE_NODE_FLAGS.join(' ')}\`, ${env};`,
      `per kind ${WARMUP} requests to warm up, then ${REQUESTS} counted at concurrency ${CONCURRENCY}.`,
      'Self instructions of the whole process (every thread) while counting, per request.',
      ...(before ? [`Before: the build in ${before.build}; after: this build (${after.build}).`] : []),
      ...(keep ? [`Dumps and perf maps: ${dir}.`] : []),
    ].join(' '),
  );
  for (const kind of KINDS) {
    const a = after.kinds[kind];
    if (!a) continue;
    const b = before?.kinds[kind];
    lines.push(`\n### ${KIND_TITLE[kind]}\n`);
    const sent = `${a.requests} counted, ${fmt(a.bytesPerResponse)} bytes a response${b ? ` (before: ${fmt(b.bytesPerResponse)})` : ''}, ${(a.requests / a.seconds).toFixed(0)}/s under valgrind`;
    if (b) {
      lines.push('| | before | after | difference | change |');
      lines.push('|---|---|---|---|---|');
      lines.push(
        `| **total** | ${fmt(b.instructions)} | ${fmt(a.instructions)} | ${signed(a.instructions - b.instructions)} | ${change(b.instructions, a.instructions)} |`,
      );
      lines.push(`\n${sent}.\n`);
      lines.push('| area | before | after | difference | change |');
      lines.push('|---|---|---|---|---|');
      for (const [area, x, y] of areaRows(a, b))
        lines.push(`| ${cell(area)} | ${fmt(x)} | ${fmt(y)} | ${signed(y - x)} | ${change(x, y)} |`);
      const names = new Set([...a.functions.slice(0, TOP), ...b.functions.slice(0, TOP)].map((f) => f.name));
      const areaOf = (name: string) => [...a.functions, ...b.functions].find((f) => f.name === name)?.area ?? '';
      const rows = [...names]
        .map((name) => ({
          name,
          area: areaOf(name),
          x: b.allFunctions.get(name) ?? 0,
          y: a.allFunctions.get(name) ?? 0,
        }))
        .sort((p, q) => Math.max(q.x, q.y) - Math.max(p.x, p.y));
      lines.push(`\nThe top ${TOP} functions of either build by self instructions:\n`);
      lines.push('| function | area | before | after | difference |');
      lines.push('|---|---|---|---|---|');
      for (const r of rows)
        lines.push(`| ${cell(r.name)} | ${cell(r.area)} | ${fmt(r.x)} | ${fmt(r.y)} | ${signed(r.y - r.x)} |`);
    } else {
      lines.push(`**${fmt(a.instructions)}** instructions (${sent}).\n`);
      lines.push('| area | instructions | share |');
      lines.push('|---|---|---|');
      for (const [area, , y] of areaRows(a, undefined))
        lines.push(`| ${cell(area)} | ${fmt(y)} | ${pct(y, a.instructions)} |`);
      lines.push(`\nTop ${TOP} functions by self instructions:\n`);
      lines.push('| function | area | instructions | share |');
      lines.push('|---|---|---|---|');
      for (const f of a.functions.slice(0, TOP))
        lines.push(
          `| ${cell(f.name)} | ${cell(f.area)} | ${fmt(f.instructions)} | ${pct(f.instructions, a.instructions)} |`,
        );
    }
  }
  return lines;
}

/**
 * Area rows `[area, before, after]`, the costliest first; areas under SMALL_AREA of the total in both builds
 * summed into one row. The optimising compiler's row is always there, zero or not.
 */
function areaRows(a: KindResult, b: KindResult | undefined): [string, number, number][] {
  const names = new Set([...Object.keys(a.areas), ...Object.keys(b?.areas ?? {}), AREA.compiler]);
  const rows: [string, number, number][] = [];
  let small = 0;
  let smallBefore = 0;
  let smallAfter = 0;
  for (const area of names) {
    const x = b?.areas[area] ?? 0;
    const y = a.areas[area] ?? 0;
    const tiny = y < a.instructions * SMALL_AREA && (!b || x < b.instructions * SMALL_AREA);
    if (tiny && area !== AREA.compiler) {
      small++;
      smallBefore += x;
      smallAfter += y;
    } else rows.push([area, x, y]);
  }
  rows.sort((p, q) => Math.max(q[1], q[2]) - Math.max(p[1], p[2]));
  if (small > 0) rows.push([`${small} smaller areas`, smallBefore, smallAfter]);
  return rows;
}

process.exitCode = await main().catch(async (error: unknown) => {
  process.stderr.write(`instructions: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await shutdown(5000);
  return 1;
});
