/**
 * `make bench`: what a streaming (and a non-streaming) client sees through the gateway, against a floor and peer
 * gateways run side by side in the same process tree, in front of the same Bedrock stub.
 *
 * Targets:
 *   direct   — SigV4-signed Converse requests straight to the stub (the reference for "added latency")
 *   floor    — the same signed requests through a bare undici pass-through (bench/passthrough-proxy.ts): the least
 *              any gateway must do, forward the call and pipe the event-stream bytes back
 *   aigw     — OpenAI requests through `aigw serve` (caller API-key auth, SigV4 signing, translation, metrics)
 *   portkey  — OpenAI requests through the Portkey gateway from npm, pointed at the stub as a custom host
 *
 * The stub (bench/bedrock-stub.ts) replays answers recorded from `aigw emulator` at the start of the run: a
 * ConverseStream answer with --deltas content deltas and a Converse answer. With two or more CPUs and `taskset`,
 * every gateway and the floor run pinned to CPU 1 and the load generator and the stub to CPU 0, so the target
 * has one core to itself and its CPU time per stream is read from /proc/PID/stat.
 *
 * Scenarios (rounds interleave them: every target once per round and scenario, order rotated; figures are the
 * median over rounds):
 *   chat-c1     non-streaming, concurrency 1: added latency (target minus direct, per round)
 *   chat-rate   non-streaming, fixed --rate req/s, open loop (0 skips it)
 *   chat-c32    non-streaming, concurrency 32: req/s and CPU per request
 *   stream-c32  streams with --deltas content deltas sent in one burst, concurrency 32: streams/s, CPU per stream
 *   ttft-c1     streams, concurrency 1, the stub sends up to the first delta at once and the rest --gap-ms later:
 *               time to the first content chunk (the first SSE data line with non-empty choices[0].delta.content)
 *   ttft-burst-c1  (only when named in --scenarios) the same with the whole stream in one write, as the emulator
 *               sends it without latency settings: what the bench used to call time to first token
 * After the rounds, --streams streams are held open through the same `aigw serve` (the stub paces 5 deltas 1 s
 * apart) and its RSS peak is reported.
 *
 * Options: --rounds N (3) --seconds S per run (6) --rate R (500; 0 skips) --deltas N (50) --gap-ms MS (5)
 *          --streams N (1000; 0 skips) --stream-seconds S (12) --no-portkey --no-pin
 *          --load auto|node|wrk (auto): wrk drives the concurrency-32 runs when it is installed (bench/lib/wrk.ts)
 *          --targets a,b (all) --scenarios a,b (all) --out FILE (bench/results/latest.json)
 *          --profile DIR: also run a separate `aigw serve` under --cpu-prof through a stream-c32 run and a chat-c32
 *            run, write their .cpuprofile files (each with a .window.json of the measured interval) to DIR, then
 *            print their summaries; --profile-floor: profile `floor-fastify` the same way, for side-by-side areas;
 *            --profile-slices N (1): with --profile-floor, run both profiled processes at once and alternate the load
 *            between them in N slices of the run each, so drift of the machine falls on both alike
 *          --heap-profile DIR: also run a separate `aigw serve` with V8's sampling heap profiler through a stream-c32
 *            and a chat-c32 run; write its .heapprofile files to DIR and print bytes allocated per stream or request
 *            by module and by allocating function (bench/heap-summary.ts)
 *          --floor-ballast frames|request|both|garbage|garbage-held: `floor-fastify` also does some of aigw's own
 *            work, output discarded, or allocates as much per request as aigw's own code does
 *            (bench/fastify-floor.ts)
 *          --aigw-b-flags "FLAGS": also measure `aigw-b`, a second `aigw serve` with these node flags after the
 *            image's, in the c=32 and c=1 runs, interleaved with the others: an A/B of runtime settings in one run
 *          --aigw-b-build DIR: also measure `aigw-b`, started from another build's `DIR/gateway/src/cli/aigw.js`
 *            (say a copy of `dist/` from before a change, beside a `package.json` and `node_modules`), with the
 *            image's flags and any --aigw-b-flags: an A/B of two builds, interleaved in the same rounds
 *          --priority=P: run the benchmark and its servers at this nice value (e.g. --priority=-10 as root)
 *          --memory-limit Q|chart|none (chart): run aigw in a memory cgroup of Q (`512Mi`), by default the Helm
 *            chart's gateway limit, as its pod runs it (needs root and a writable cgroup file system)
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, setPriority, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { parse as parseYaml } from 'yaml';
import type { Recordings, StubConfig } from './bedrock-stub.js';
import { formatHeapSummary, summariseHeapProfile } from './heap-summary.js';
import { createMemoryCgroup, parseMemoryQuantity } from './lib/cgroup.js';
import {
  ACCESS_KEY,
  API_KEY,
  countDeltas,
  imageEnv,
  imageNodeFlags,
  MODEL_ID,
  openaiBody,
  PROMPT,
  REGION,
  record,
  replyWords,
  SECRET_KEY,
  SERVED,
  signedConverse,
  writeGatewayConfig,
} from './lib/fixture.js';
import { type RequestSpec, runLoad, type StreamReader } from './lib/load.js';
import { ensurePortkey } from './lib/portkey.js';
import {
  aigwServeArgs,
  canPin,
  freePort,
  httpOk,
  type Managed,
  type ProcessCounters,
  pinSelf,
  startProcess,
} from './lib/processes.js';
import { median, summarise } from './lib/stats.js';
import { hasWrk, runWrk } from './lib/wrk.js';
import { formatSummary, summariseProfile } from './profile-summary.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '6' },
    rate: { type: 'string', default: '500' },
    deltas: { type: 'string', default: '50' },
    'gap-ms': { type: 'string', default: '5' },
    'no-portkey': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    load: { type: 'string', default: 'auto' },
    streams: { type: 'string', default: '1000' },
    'stream-seconds': { type: 'string', default: '12' },
    targets: { type: 'string' },
    scenarios: { type: 'string' },
    profile: { type: 'string' },
    'heap-profile': { type: 'string' },
    'profile-floor': { type: 'boolean', default: false },
    'profile-slices': { type: 'string', default: '1' },
    'floor-ballast': { type: 'string' },
    'aigw-b-flags': { type: 'string' },
    'aigw-b-build': { type: 'string' },
    priority: { type: 'string' },
    'memory-limit': { type: 'string', default: 'chart' },
    out: { type: 'string', default: 'bench/results/latest.json' },
  },
});
const ROUNDS = Number(args.rounds);
const SECONDS = Number(args.seconds);
const RATE = Number(args.rate);
const DELTAS = Number(args.deltas);
const GAP_MS = Number(args['gap-ms']);
const STREAMS = Number(args.streams);
const STREAM_SECONDS = Number(args['stream-seconds']);
// The long-lived streams: 5 deltas 1 s apart keep each stream open about four seconds, so --streams workers
// hold that many streams open at once.
const OPEN_STREAM_GAP_MS = 1000;

/** The gateway under test is the working directory's build; the bench's own servers sit beside this module. */
const AIGW = 'dist/gateway/src/cli/aigw.js';
/**
 * The node flags the container image starts aigw with (the Dockerfile's ENTRYPOINT, e.g. a smaller young
 * generation), so every aigw run here, and the open-streams RSS row above all, measures the product as shipped.
 */
const IMAGE_NODE_FLAGS = imageNodeFlags('Dockerfile');
/** The environment the image's last stage sets (its ENV lines: NODE_ENV, the malloc tuning), for the same reason. */
const IMAGE_ENV = imageEnv('Dockerfile');
/**
 * The memory aigw may use, as its pod has it: the Helm chart's `gateway.resources.limits.memory` unless
 * --memory-limit names another quantity (or `none`). Node sizes V8's heap from it (bench/lib/cgroup.ts).
 */
const MEMORY_LIMIT =
  args['memory-limit'] === 'none'
    ? undefined
    : parseMemoryQuantity(
        args['memory-limit'] === 'chart'
          ? chartGatewayMemoryLimit('charts/aigateway/values.yaml')
          : args['memory-limit'],
      );
const STUB = fileURLToPath(new URL('./bedrock-stub.js', import.meta.url));
const FLOOR = fileURLToPath(new URL('./passthrough-proxy.js', import.meta.url));
const FASTIFY_FLOOR = fileURLToPath(new URL('./fastify-floor.js', import.meta.url));
/** CPUs for the targets and for the load side (generator + stub) when pinning. */
const TARGET_CPU = '1';
const LOAD_CPU = '0';

type Target = 'direct' | 'floor' | 'floor-fastify' | 'aigw' | 'aigw-b' | 'portkey';
type Scenario = 'chat-c1' | 'chat-rate' | 'chat-c32' | 'stream-c32' | 'ttft-c1' | 'ttft-burst-c1';
/** Scenarios run only when --scenarios names them. */
const OPTIONAL: Scenario[] = ['ttft-burst-c1'];

interface ScenarioSpec {
  title: string;
  stream: boolean;
  concurrency: number;
  rate?: number;
  stub: StubConfig;
  targets: Target[];
}

interface RunStats {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  ttftP50Ms: number;
  ttftP99Ms: number;
  /** Target process CPU per completed request, µs (NaN for direct). */
  cpuPerRequestMicros: number;
  /** Target process read and write system calls per completed request (NaN for direct). */
  readsPerRequest: number;
  writesPerRequest: number;
  /** The part of cpuPerRequestMicros spent in the kernel. */
  systemCpuPerRequestMicros: number;
  /** Target process minor page faults per completed request. */
  faultsPerRequest: number;
  /** Share of one core the target used during the run. */
  targetCpuShare: number;
  /** Share of one core the load generator (this process) and the stub used. */
  clientCpuShare: number;
  stubCpuShare: number;
  count: number;
  errors: number;
  firstError?: string;
  /** The load generator of the run. */
  load: 'node' | 'wrk';
}

async function main(): Promise<void> {
  if (args.priority !== undefined) {
    // Children inherit the nice value at spawn, so setting it first covers every server the bench starts.
    try {
      setPriority(0, Number(args.priority));
    } catch (error) {
      process.stderr.write(`--priority ignored: ${(error as Error).message}\n`);
    }
  }
  const benchStarted = Date.now();
  const pin = !args['no-pin'] && cpus().length >= 2 && canPin();
  if (pin) pinSelf(LOAD_CPU);
  const targetCpu = pin ? TARGET_CPU : undefined;
  const loadCpu = pin ? LOAD_CPU : undefined;
  const loadAtStart = loadavg();
  const managed: Managed[] = [];
  const cgroup = MEMORY_LIMIT === undefined ? undefined : createMemoryCgroup(`aigw-bench-${process.pid}`, MEMORY_LIMIT);
  const aigwCgroup = cgroup && 'dir' in cgroup ? cgroup : undefined;
  if (cgroup && 'reason' in cgroup)
    process.stderr.write(`aigw runs without its memory limit (${cgroup.reason}): its heap is sized for the host\n`);
  const stopAll = () =>
    Promise.all(managed.map((m) => m.stop())).then(() => {
      aigwCgroup?.remove();
    });
  process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    // 1. Record the stub's answers from the emulator (the wire format the gateway's tests prove).
    const workDir = mkdtempSync(join(tmpdir(), 'aigw-bench-'));
    const emuPort = await freePort();
    const emulatorUrl = `http://127.0.0.1:${emuPort}`;
    const emulator = await startProcess(
      'emulator',
      process.execPath,
      [AIGW, 'emulator', '--port', String(emuPort)],
      () => httpOk(`${emulatorUrl}/_emulator/health`),
      {},
      loadCpu,
    );
    const recordings: Recordings = {
      chat: await record(emulatorUrl, false, PROMPT),
      long: await record(emulatorUrl, true, `[[reply:${replyWords(DELTAS)}]]`),
      short: await record(emulatorUrl, true, `[[reply:${replyWords(5)}]]`),
    };
    await emulator.stop();
    if (countDeltas(recordings.long) !== DELTAS)
      throw new Error(`the recorded stream has ${countDeltas(recordings.long)} deltas, not ${DELTAS}`);
    const recordingsFile = join(workDir, 'recordings.json');
    writeFileSync(recordingsFile, JSON.stringify(recordings));

    // 2. The stub, the targets.
    const stubPort = await freePort();
    const stubUrl = `http://127.0.0.1:${stubPort}`;
    const stub = await startProcess(
      'stub',
      process.execPath,
      [STUB, '--port', String(stubPort), '--recordings', recordingsFile],
      () => httpOk(`${stubUrl}/_stub/health`),
      {},
      loadCpu,
    );
    managed.push(stub);
    const configureStub = async (config: StubConfig): Promise<void> => {
      const res = await request(`${stubUrl}/_stub/config`, { method: 'PUT', body: JSON.stringify(config) });
      await res.body.arrayBuffer();
      if (res.statusCode !== 200) throw new Error(`stub config: HTTP ${res.statusCode}`);
    };

    const configDir = writeGatewayConfig(stubUrl);
    const startAigw = async (name: string, nodeFlags: string[] = [], script = AIGW) => {
      const gwPort = await freePort();
      const adminPort = await freePort();
      const proc = await startProcess(
        name,
        process.execPath,
        [...IMAGE_NODE_FLAGS, ...nodeFlags, ...aigwServeArgs(script, configDir, gwPort, adminPort)],
        () => httpOk(`http://127.0.0.1:${adminPort}/readyz`),
        { ...IMAGE_ENV, AIGW_LOG_LEVEL: 'warn' },
        targetCpu,
        aigwCgroup?.dir,
      );
      return { proc, gwPort, adminPort };
    };
    const aigw = await startAigw('aigw');
    managed.push(aigw.proc);
    const aigwBBuild = args['aigw-b-build'];
    const aigwB =
      args['aigw-b-flags'] || aigwBBuild
        ? await startAigw(
            'aigw-b',
            args['aigw-b-flags']?.split(/\s+/) ?? [],
            aigwBBuild ? join(resolve(aigwBBuild), 'gateway/src/cli/aigw.js') : AIGW,
          )
        : undefined;
    if (aigwB) managed.push(aigwB.proc);

    const floorPort = await freePort();
    const floor = await startProcess(
      'floor',
      process.execPath,
      [FLOOR, '--port', String(floorPort), '--target', stubUrl],
      () => httpOk(`http://127.0.0.1:${floorPort}/_stub/health`),
      {},
      targetCpu,
    );
    managed.push(floor);

    const startFastifyFloor = async (name: string, nodeFlags: string[] = []) => {
      const port = await freePort();
      const proc = await startProcess(
        name,
        process.execPath,
        [
          ...nodeFlags,
          FASTIFY_FLOOR,
          '--port',
          String(port),
          '--target',
          stubUrl,
          '--region',
          REGION,
          '--access-key-id',
          ACCESS_KEY,
          '--secret-access-key',
          SECRET_KEY,
          ...(args['floor-ballast'] ? ['--ballast', args['floor-ballast']] : []),
        ],
        () => httpOk(`http://127.0.0.1:${port}/_stub/health`),
        {},
        targetCpu,
      );
      return { proc, port };
    };
    const { proc: fastifyFloor, port: fastifyFloorPort } = await startFastifyFloor('floor-fastify');
    managed.push(fastifyFloor);

    const wanted = args.targets?.split(',') as Target[] | undefined;
    const want = (t: Target) => !wanted || wanted.includes(t);
    let portkey: Managed | undefined;
    const portkeyPort = await freePort();
    if (!args['no-portkey'] && want('portkey')) {
      const entry = await ensurePortkey();
      portkey = await startProcess(
        'portkey',
        process.execPath,
        [entry, `--port=${portkeyPort}`, '--headless'],
        () => httpOk(`http://127.0.0.1:${portkeyPort}/`),
        { NODE_ENV: 'production' },
        targetCpu,
      );
      managed.push(portkey);
    }
    const processOf: Record<Target, Managed | undefined> = {
      direct: undefined,
      floor,
      'floor-fastify': fastifyFloor,
      aigw: aigw.proc,
      'aigw-b': aigwB?.proc,
      portkey,
    };
    /**
     * Waits (at most 3 s) until every target process is idle: 200 ms with at most one clock tick (10 ms) of
     * CPU among them. What a run leaves behind, such as V8's memory reducer collecting once the load stops,
     * would otherwise fall into the next target's run on the same core (aigw-b mostly runs right after aigw).
     * An A/A run (`--aigw-b-build dist`) read aigw-b 8 % above aigw a chat request without the pause and 4 %
     * below with it, single rounds ±10 % either way: docs/benchmarks.md, round 8.
     */
    const settle = async (): Promise<void> => {
      const procs = Object.values(processOf).filter((p): p is Managed => p !== undefined);
      const total = () => procs.reduce((sum, p) => sum + (p.cpuMicros() || 0), 0);
      const deadline = performance.now() + 3000;
      let before = total();
      while (performance.now() < deadline) {
        await sleep(200);
        const now = total();
        if (now - before <= 10_000) return;
        before = now;
      }
    };
    // A target runs when it has a process (direct has none); aigw-b goes wherever aigw does.
    const available = (['direct', 'floor', 'floor-fastify', 'aigw', 'aigw-b', 'portkey'] as Target[]).filter(
      (t) => want(t === 'aigw-b' ? 'aigw' : t) && (t === 'direct' || processOf[t] !== undefined),
    );

    // `port`: a separate process of the same target (the profiled runs).
    const specFor = async (target: Target, stream: boolean, port?: number): Promise<RequestSpec> => {
      switch (target) {
        case 'direct':
          return signedConverse(stubUrl, stream);
        case 'floor': {
          // Signed for the stub's host: the floor forwards the Host header unchanged.
          const spec = await signedConverse(stubUrl, stream);
          return { ...spec, origin: `http://127.0.0.1:${floorPort}` };
        }
        case 'floor-fastify': {
          // Signed like the floor's; this one signs the body again with its own credentials.
          const spec = await signedConverse(stubUrl, stream);
          return { ...spec, origin: `http://127.0.0.1:${port ?? fastifyFloorPort}` };
        }
        case 'aigw':
        case 'aigw-b':
          return {
            origin: `http://127.0.0.1:${port ?? (target === 'aigw-b' ? aigwB?.gwPort : aigw.gwPort)}`,
            path: '/v1/chat/completions',
            headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
            body: openaiBody(stream, SERVED),
          };
        case 'portkey':
          return {
            origin: `http://127.0.0.1:${portkeyPort}`,
            path: '/v1/chat/completions',
            headers: {
              'content-type': 'application/json',
              'x-portkey-provider': 'bedrock',
              'x-portkey-aws-access-key-id': ACCESS_KEY,
              'x-portkey-aws-secret-access-key': SECRET_KEY,
              'x-portkey-aws-region': REGION,
              'x-portkey-custom-host': stubUrl,
            },
            body: openaiBody(stream, MODEL_ID),
          };
      }
    };
    const readerFor = (t: Target): StreamReader =>
      t === 'aigw' || t === 'aigw-b' || t === 'portkey' ? 'sse' : 'eventstream';

    const burst: StubConfig = { stream: 'long', mode: 'burst', gapMs: 0 };
    const allScenarios: Record<Scenario, ScenarioSpec> = {
      'chat-c1': {
        title: 'chat, concurrency 1',
        stream: false,
        concurrency: 1,
        stub: burst,
        targets: ['direct', 'floor', 'aigw', 'aigw-b', 'portkey'],
      },
      'chat-rate': {
        title: `chat, fixed ${RATE} req/s (open loop, 64 connections)`,
        stream: false,
        concurrency: 64,
        rate: RATE,
        stub: burst,
        targets: ['direct', 'floor', 'aigw', 'portkey'],
      },
      'chat-c32': {
        title: 'chat, concurrency 32 (throughput)',
        stream: false,
        concurrency: 32,
        stub: burst,
        targets: ['floor', 'floor-fastify', 'aigw', 'aigw-b', 'portkey'],
      },
      'stream-c32': {
        title: `streams of ${DELTAS} content deltas, concurrency 32 (throughput; the stub sends each stream in one write)`,
        stream: true,
        concurrency: 32,
        stub: burst,
        targets: ['floor', 'floor-fastify', 'aigw', 'aigw-b', 'portkey'],
      },
      'ttft-c1': {
        title: `streams, concurrency 1: first delta at once, the other ${DELTAS - 1} ${GAP_MS} ms later`,
        stream: true,
        concurrency: 1,
        stub: { stream: 'long', mode: 'first-then-rest', gapMs: GAP_MS },
        targets: ['floor', 'aigw', 'aigw-b', 'portkey'],
      },
      'ttft-burst-c1': {
        title: `streams, concurrency 1: all ${DELTAS} deltas in one write (how the bench measured time to first token before)`,
        stream: true,
        concurrency: 1,
        stub: burst,
        targets: ['floor', 'aigw', 'portkey'],
      },
    };
    const wantedScenarios = args.scenarios?.split(',');
    const scenarios = (Object.entries(allScenarios) as [Scenario, ScenarioSpec][])
      .filter(([name]) =>
        wantedScenarios
          ? wantedScenarios.includes(name)
          : !OPTIONAL.includes(name) && (name !== 'chat-rate' || RATE > 0),
      )
      .map(([name, s]) => [name, { ...s, targets: s.targets.filter((t) => available.includes(t)) }] as const);

    // wrk for the closed-loop concurrency-32 runs, where a Node.js client could limit the floor; the runs that
    // time the first content chunk or hold a fixed rate keep the bench's own generator.
    const wrk = args.load === 'wrk' || (args.load === 'auto' && hasWrk());
    if (args.load === 'wrk' && !hasWrk()) throw new Error('--load wrk: wrk is not installed (apt-get install wrk)');
    const useWrk = (s: ScenarioSpec) => wrk && s.concurrency === 32 && s.rate === undefined;

    // Sanity and warm-up: every target answers both kinds of request, and JIT has seen the hot path.
    await configureStub(burst);
    for (const t of available) {
      for (const stream of [false, true]) {
        const check = await runLoad({
          spec: await specFor(t, stream),
          concurrency: 8,
          durationMs: 1000,
          ...(stream ? { stream: readerFor(t) } : {}),
        });
        if (check.errors > 0 || check.latenciesMicros.length === 0)
          throw new Error(`${t} failed its warm-up (stream ${stream}): ${check.firstError}`);
      }
    }

    const measure = async (t: Target, s: ScenarioSpec, spec: RequestSpec): Promise<RunStats> => {
      const proc = processOf[t];
      const cpu0 = proc?.cpuMicros() ?? Number.NaN;
      const counters0 = proc?.counters();
      const stub0 = stub.cpuMicros();
      const share = (micros: number, seconds: number) => micros / (seconds * 1e6);
      /** Kernel CPU, page faults and system calls of the target per completed request (NaN for direct). */
      const perRequest = (count: number) => {
        const after = proc?.counters();
        const per = (k: keyof ProcessCounters) =>
          after && counters0 ? (after[k] - counters0[k]) / Math.max(1, count) : Number.NaN;
        return {
          readsPerRequest: per('readSyscalls'),
          writesPerRequest: per('writeSyscalls'),
          systemCpuPerRequestMicros: per('systemCpuMicros'),
          faultsPerRequest: per('minorFaults'),
        };
      };
      if (useWrk(s)) {
        const w = await runWrk({
          spec,
          concurrency: s.concurrency,
          durationMs: SECONDS * 1000,
          ...(loadCpu ? { cpus: loadCpu } : {}),
        });
        const targetCpu = (proc?.cpuMicros() ?? Number.NaN) - cpu0;
        return {
          rps: w.requests / w.seconds,
          p50Ms: w.p50Ms,
          p99Ms: w.p99Ms,
          ttftP50Ms: Number.NaN,
          ttftP99Ms: Number.NaN,
          cpuPerRequestMicros: targetCpu / Math.max(1, w.requests),
          ...perRequest(w.requests),
          targetCpuShare: share(targetCpu, w.seconds),
          clientCpuShare: share(w.clientCpuMicros, w.seconds),
          stubCpuShare: share(stub.cpuMicros() - stub0, w.seconds),
          count: w.requests,
          errors: w.errors,
          ...(w.firstError ? { firstError: w.firstError } : {}),
          load: 'wrk',
        };
      }
      const r = await runLoad({
        spec,
        concurrency: s.concurrency,
        durationMs: SECONDS * 1000,
        ...(s.rate ? { ratePerSec: s.rate } : {}),
        ...(s.stream ? { stream: readerFor(t) } : {}),
      });
      const targetCpu = (proc?.cpuMicros() ?? Number.NaN) - cpu0;
      const sum = summarise(r.latenciesMicros, r.errors, r.seconds);
      const ttft = summarise(r.firstContentMicros, 0, r.seconds);
      return {
        rps: sum.rps,
        p50Ms: sum.p50Ms,
        p99Ms: sum.p99Ms,
        ttftP50Ms: ttft.p50Ms,
        ttftP99Ms: ttft.p99Ms,
        cpuPerRequestMicros: targetCpu / Math.max(1, sum.count),
        ...perRequest(sum.count),
        targetCpuShare: share(targetCpu, r.seconds),
        clientCpuShare: share(r.clientCpuMicros, r.seconds),
        stubCpuShare: share(stub.cpuMicros() - stub0, r.seconds),
        count: sum.count,
        errors: r.errors,
        ...(r.firstError ? { firstError: r.firstError } : {}),
        load: 'node',
      };
    };

    const raw: Partial<Record<Scenario, Partial<Record<Target, RunStats[]>>>> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, s] of scenarios) {
        await configureStub(s.stub);
        const order = s.targets.map((_, i) => s.targets[(i + round) % s.targets.length]!);
        for (const t of order) {
          await settle();
          const run = await measure(t, s, await specFor(t, s.stream));
          const perTarget = raw[name] ?? {};
          raw[name] = perTarget;
          perTarget[t] = [...(perTarget[t] ?? []), run];
          process.stderr.write(
            `round ${round + 1}/${ROUNDS} ${name} ${t}: ${run.count} ok, ${run.errors} errors${run.firstError ? ` (${run.firstError})` : ''}, ` +
              `target CPU ${pct(run.targetCpuShare)}, load generator ${pct(run.clientCpuShare)}, stub ${pct(run.stubCpuShare)}\n`,
          );
        }
      }
    }

    const report: Record<string, unknown> = {
      date: new Date().toISOString(),
      rounds: ROUNDS,
      secondsPerRun: SECONDS,
      deltas: DELTAS,
      ttftGapMs: GAP_MS,
      cpus: cpus().length,
      pinned: pin ? { targets: TARGET_CPU, loadGeneratorAndStub: LOAD_CPU } : false,
      node: process.version,
      scenarios: raw,
    };
    const med = (name: Scenario, t: Target, k: keyof RunStats): number => {
      const runs = raw[name]?.[t];
      return runs ? median(runs.map((x) => x[k] as number)) : Number.NaN;
    };
    /** Per round: target's figure minus the reference's figure in the same round; median over rounds. */
    const added = (name: Scenario, t: Target, ref: Target, k: keyof RunStats): number => {
      const a = raw[name]?.[t];
      const b = raw[name]?.[ref];
      if (!a || !b) return Number.NaN;
      return median(a.map((x, i) => (x[k] as number) - ((b[i]?.[k] as number) ?? Number.NaN)));
    };

    let streamsResult: StreamsResult | undefined;
    if (STREAMS > 0 && available.includes('aigw')) {
      await configureStub({ stream: 'short', mode: 'paced', gapMs: OPEN_STREAM_GAP_MS });
      streamsResult = await streamsAtScale(await specFor('aigw', true), aigw.proc, aigw.adminPort, stub);
      report.streams = streamsResult;
    }

    // The headline: issue 13's table.
    const lines: string[] = [];
    const f = (n: number, d = 0) =>
      Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–';
    const col = (t: Target, text: (t: Target) => string) => (available.includes(t) ? text(t) : 'not run');
    const verdict = (ok: boolean | undefined) => (ok === undefined ? '–' : ok ? '**pass**' : '**FAIL**');
    const headline: { row: string; pass: boolean | undefined }[] = [];
    lines.push(`## aigw against the floor (issue 13's table)\n`);
    lines.push(
      `aigw runs with the container image's node flags (Dockerfile ENTRYPOINT): \`${IMAGE_NODE_FLAGS.join(' ') || 'none'}\`\n`,
    );
    report.aigwNodeFlags = IMAGE_NODE_FLAGS;
    lines.push(
      `and the environment of its last stage: \`${
        Object.entries(IMAGE_ENV)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ') || 'none'
      }\`\n`,
    );
    report.aigwImageEnv = IMAGE_ENV;
    lines.push(
      aigwCgroup
        ? `aigw runs in a memory cgroup of ${f(aigwCgroup.limitBytes / 2 ** 20)} MiB (the Helm chart's \`gateway.resources.limits.memory\` unless --memory-limit says otherwise), as in its pod: Node sizes the V8 heap from that limit.\n`
        : 'aigw runs without a memory limit: its V8 heap is sized for the host, not for its pod.\n',
    );
    report.aigwMemoryLimitBytes = aigwCgroup?.limitBytes ?? null;
    lines.push('| measured | floor (undici pass-through) | aigw | portkey | target | aigw |');
    lines.push('|---|---|---|---|---|---|');
    if (raw['stream-c32']) {
      const rps = (t: Target) => med('stream-c32', t, 'rps');
      const cpu = (t: Target) => med('stream-c32', t, 'cpuPerRequestMicros');
      const cell = (t: Target) => `${f(rps(t))} (${f(cpu(t))} µs ≈ ${f(cpu(t) / DELTAS, 1)} µs a chunk)`;
      const ratio = rps('aigw') / rps('floor');
      const pass = Number.isFinite(ratio) ? ratio >= 0.6 && cpu('aigw') / DELTAS <= 4 : undefined;
      headline.push({ row: 'streams/s', pass });
      lines.push(
        `| streams/s at c=32, ${DELTAS} deltas each (CPU per stream) | ${col('floor', cell)} | ${col('aigw', cell)} (${f(ratio, 2)}× the floor) | ${col('portkey', cell)} | ≥ 0.6× the floor; ≤ 4 µs CPU a chunk | ${verdict(pass)} |`,
      );
    }
    if (raw['chat-c32']) {
      const rps = (t: Target) => med('chat-c32', t, 'rps');
      const cell = (t: Target) => `${f(rps(t))} (${f(med('chat-c32', t, 'cpuPerRequestMicros'))} µs)`;
      const ratio = rps('aigw') / rps('floor');
      const pass = Number.isFinite(ratio) ? ratio >= 0.75 : undefined;
      headline.push({ row: 'chat req/s', pass });
      lines.push(
        `| chat req/s at c=32 (CPU per request) | ${col('floor', cell)} | ${col('aigw', cell)} (${f(ratio, 2)}× the floor) | ${col('portkey', cell)} | ≥ 0.75× the floor | ${verdict(pass)} |`,
      );
    }
    if (raw['ttft-c1']) {
      const abs = (t: Target) => `${f(med('ttft-c1', t, 'ttftP50Ms'), 2)} / ${f(med('ttft-c1', t, 'ttftP99Ms'), 2)} ms`;
      const add = (t: Target) =>
        `${abs(t)} (+${f(added('ttft-c1', t, 'floor', 'ttftP50Ms'), 2)} / +${f(added('ttft-c1', t, 'floor', 'ttftP99Ms'), 2)})`;
      const a50 = added('ttft-c1', 'aigw', 'floor', 'ttftP50Ms');
      const a99 = added('ttft-c1', 'aigw', 'floor', 'ttftP99Ms');
      const pass = Number.isFinite(a50) && Number.isFinite(a99) ? a50 <= 0.5 && a99 <= 1.5 : undefined;
      headline.push({ row: 'time to first content chunk', pass });
      lines.push(
        `| time to first content chunk, c=1, p50 / p99 (added over the floor's) | ${col('floor', abs)} | ${col('aigw', add)} | ${col('portkey', add)} | ≤ 0.5 ms / ≤ 1.5 ms over the floor's | ${verdict(pass)} |`,
      );
    }
    if (raw['chat-c1']) {
      const cell = (t: Target) =>
        `${f(med('chat-c1', t, 'p99Ms'), 2)} ms (+${f(added('chat-c1', t, 'direct', 'p99Ms'), 2)})`;
      const a99 = added('chat-c1', 'aigw', 'direct', 'p99Ms');
      const pass = Number.isFinite(a99) ? a99 <= 1.5 : undefined;
      headline.push({ row: 'chat added latency', pass });
      lines.push(
        `| chat latency, c=1, p99 (added over direct to the stub) | ${col('floor', cell)} | ${col('aigw', cell)} | ${col('portkey', cell)} | ≤ 1.5 ms added | ${verdict(pass)} |`,
      );
    }
    if (streamsResult) {
      const mb = (streamsResult.rssPeakMiB * 1024 * 1024) / 1e6;
      const pass = streamsResult.errors === 0 && streamsResult.maxOpen >= STREAMS ? mb < 150 : false;
      headline.push({ row: 'open streams RSS', pass });
      lines.push(
        `| ${f(STREAMS)} open streams, RSS peak after the other load | – | ${f(mb)} MB (${f(streamsResult.rssPeakMiB)} MiB; ${streamsResult.maxOpen} open at most, ${streamsResult.errors} errors) | – | < 150 MB | ${verdict(pass)} |`,
      );
    }
    report.headline = headline;

    // Where the CPU goes beyond the bare floor: fastify and signing (floor-fastify), then aigw's own work.
    const attribution = (['stream-c32', 'chat-c32'] as Scenario[]).filter(
      (name) => raw[name] && (['floor', 'floor-fastify', 'aigw'] as Target[]).every((t) => available.includes(t)),
    );
    if (attribution.length > 0) {
      lines.push('\n| CPU at c=32, µs per stream or request | floor | floor-fastify (fastify, SigV4) | aigw |');
      lines.push('|---|---|---|---|');
      for (const name of attribution) {
        const cpu = (t: Target) => med(name, t, 'cpuPerRequestMicros');
        lines.push(
          `| ${name} | ${f(cpu('floor'))} | ${f(cpu('floor-fastify'))} (+${f(cpu('floor-fastify') - cpu('floor'))}) | ${f(cpu('aigw'))} (+${f(cpu('aigw') - cpu('floor-fastify'))} over floor-fastify) |`,
        );
      }
      // System calls explain much of the CPU a proxy spends in the kernel: each read or write of a socket.
      lines.push(
        '\n| at c=32, per stream or request: kernel CPU µs; minor page faults; system calls, reads / writes | floor | floor-fastify | aigw |',
      );
      lines.push('|---|---|---|---|');
      for (const name of attribution) {
        const io = (t: Target) =>
          `${f(med(name, t, 'systemCpuPerRequestMicros'))}; ${f(med(name, t, 'faultsPerRequest'), 2)}; ${f(med(name, t, 'readsPerRequest'), 2)} / ${f(med(name, t, 'writesPerRequest'), 2)}`;
        lines.push(`| ${name} | ${io('floor')} | ${io('floor-fastify')} | ${io('aigw')} |`);
      }
    }

    // The A/B of node flags or of builds, in the same rounds.
    if (aigwB) {
      const aigwBLabel = [
        args['aigw-b-flags'] ? `\`${args['aigw-b-flags']}\`` : '',
        aigwBBuild ? `build \`${aigwBBuild}\`` : '',
      ]
        .filter(Boolean)
        .join(', ');
      lines.push(
        `\n| at c=32, CPU µs per stream or request (median over rounds; per round: aigw-b / aigw) | aigw | aigw-b (${aigwBLabel}) |`,
      );
      lines.push('|---|---|---|');
      for (const name of ['stream-c32', 'chat-c32'] as Scenario[]) {
        const runsOf = (t: Target) => raw[name]?.[t] ?? [];
        const a = runsOf('aigw');
        const b = runsOf('aigw-b');
        if (a.length === 0 || b.length === 0) continue;
        const perRound = b.map((x, i) => f(x.cpuPerRequestMicros / (a[i]?.cpuPerRequestMicros ?? Number.NaN), 2));
        lines.push(
          `| ${name} | ${f(med(name, 'aigw', 'cpuPerRequestMicros'))} | ${f(med(name, 'aigw-b', 'cpuPerRequestMicros'))} (${perRound.join(', ')}) |`,
        );
      }
    }

    // The detail per scenario.
    for (const [name, s] of scenarios) {
      if (!raw[name]) continue;
      const loads = [...new Set(Object.values(raw[name] ?? {}).flatMap((runs) => runs.map((x) => x.load)))];
      lines.push(`\n### ${s.title} (load: ${loads.join(', ')})\n`);
      lines.push(
        `| target | ${s.stream ? 'streams/s' : 'req/s'} | p50 ms | p99 ms | ${s.stream ? 'first content p50 ms | first content p99 ms | ' : 'added p50 ms | added p99 ms | '}target CPU per ${s.stream ? 'stream' : 'request'} µs | target CPU % | load generator CPU % | stub CPU % | errors |`,
      );
      lines.push(`|---|---|---|---|---|---|---|---|---|---|---|`);
      for (const t of s.targets) {
        const errors = (raw[name]?.[t] ?? []).reduce((a, x) => a + x.errors, 0);
        const middle = s.stream
          ? `${f(med(name, t, 'ttftP50Ms'), 3)} | ${f(med(name, t, 'ttftP99Ms'), 3)}`
          : t === 'direct' || !s.targets.includes('direct')
            ? '– | –'
            : `${f(added(name, t, 'direct', 'p50Ms'), 3)} | ${f(added(name, t, 'direct', 'p99Ms'), 3)}`;
        lines.push(
          `| ${t} | ${f(med(name, t, 'rps'))} | ${f(med(name, t, 'p50Ms'), 3)} | ${f(med(name, t, 'p99Ms'), 3)} | ${middle} | ${t === 'direct' ? '–' : f(med(name, t, 'cpuPerRequestMicros'))} | ${t === 'direct' ? '–' : pct(med(name, t, 'targetCpuShare'))} | ${pct(med(name, t, 'clientCpuShare'))} | ${pct(med(name, t, 'stubCpuShare'))} | ${errors} |`,
        );
      }
    }
    if (streamsResult) {
      const r = streamsResult;
      lines.push(`\n### ${STREAMS} concurrent streams through aigw (${STREAM_SECONDS} s, 5 deltas 1 s apart)\n`);
      lines.push(
        '| streams open at once (max) | streams completed | errors | first content p50 ms | first content p99 ms | stream p50 s | aigw RSS before MiB | aigw RSS peak MiB | aigw CPU % | load generator CPU % | stub CPU % |',
      );
      lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
      lines.push(
        `| ${r.maxOpen} | ${r.completed} | ${r.errors} | ${r.ttftP50Ms.toFixed(1)} | ${r.ttftP99Ms.toFixed(1)} | ${(r.streamP50Ms / 1000).toFixed(2)} | ${r.rssIdleMiB.toFixed(1)} | ${r.rssPeakMiB.toFixed(1)} | ${pct(r.gatewayCpuShare)} | ${pct(r.clientCpuShare)} | ${pct(r.stubCpuShare)} |`,
      );
    }
    lines.push('\n### Resident memory after the runs (MiB)\n');
    lines.push(`| ${managed.map((m) => m.name).join(' | ')} |`);
    lines.push(`|${managed.map(() => '---').join('|')}|`);
    lines.push(`| ${managed.map((m) => m.rssMiB().toFixed(1)).join(' | ')} |`);
    report.rssMiB = Object.fromEntries(managed.map((m) => [m.name, m.rssMiB()]));

    if (args.profile) {
      const dir = resolve(args.profile);
      const profiled: {
        target: Target;
        start: (name: string, flags: string[]) => Promise<{ proc: Managed; port: number }>;
      }[] = [
        {
          target: 'aigw',
          start: async (name, flags) => {
            const started = await startAigw(name, flags);
            return { proc: started.proc, port: started.gwPort };
          },
        },
      ];
      if (args['profile-floor']) profiled.push({ target: 'floor-fastify', start: startFastifyFloor });
      const slices = Number(args['profile-slices']);
      if (!Number.isInteger(slices) || slices < 1) throw new Error('--profile-slices: a whole number of at least 1');
      // Interleaved: all targets in one set of runs; else each target on its own, one after the other.
      const groups = slices > 1 ? [profiled] : profiled.map((p) => [p]);
      for (const group of groups) {
        for (const stream of [true, false]) {
          const summaries = await profiledRuns(
            'cpu',
            dir,
            stream,
            slices,
            group.map(({ target, start }) => ({
              name: `${target}-${stream ? 'stream' : 'chat'}-c32`,
              reader: readerFor(target),
              start,
              specFor: (port: number) => specFor(target, stream, port),
            })),
            configureStub,
          );
          for (const [i, { target }] of group.entries()) {
            const how = slices > 1 ? `, ${slices} slices interleaved` : '';
            lines.push(
              `\n### CPU profile of ${target}, ${stream ? 'streams' : 'chat requests'} at c=32${how} (${dir})\n`,
            );
            lines.push(summaries[i] as string);
          }
        }
      }
    }

    if (args['heap-profile']) {
      const dir = resolve(args['heap-profile']);
      for (const stream of [true, false]) {
        const [summary] = await profiledRuns(
          'heap',
          dir,
          stream,
          1,
          [
            {
              name: `aigw-${stream ? 'stream' : 'chat'}-c32`,
              reader: readerFor('aigw'),
              start: async (name, flags) => {
                const started = await startAigw(name, flags);
                return { proc: started.proc, port: started.gwPort };
              },
              specFor: (port) => specFor('aigw', stream, port),
            },
          ],
          configureStub,
        );
        lines.push(`\n### Heap allocation of aigw, ${stream ? 'streams' : 'chat requests'} at c=32 (${dir})\n`);
        lines.push(summary as string);
      }
    }

    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
    const loadAtEnd = loadavg();
    report.loadAverage = { start: loadAtStart, end: loadAtEnd };
    // The load side's core: a target that leaves it busy over 85 % of the time was limited by the load side. Direct
    // runs are left out, as there the load side is all there is.
    const saturated = scenarios.flatMap(([name, s]) =>
      s.targets
        .filter((t) => t !== 'direct' && med(name, t, 'clientCpuShare') + med(name, t, 'stubCpuShare') > 0.85)
        .map((t) => `${name} ${t}`),
    );
    lines.push(
      `\n${cpus().length} CPUs, Node ${process.version}; ${
        pin
          ? `gateways and the floor pinned to CPU ${TARGET_CPU} (taskset), the load generator and the stub to CPU ${LOAD_CPU}`
          : 'not pinned (--no-pin, one CPU, or no taskset): every process shares every CPU'
      }; ${ROUNDS} rounds × ${SECONDS} s per target and scenario, medians over rounds; load average (1, 5, 15 min) at start ${load(loadAtStart)}, at end ${load(loadAtEnd)}; ${((Date.now() - benchStarted) / 1000).toFixed(0)} s in all.`,
    );
    if (saturated.length > 0)
      lines.push(
        `\n**Warning**: the load generator and the stub used over 85 % of their core in ${saturated.join(', ')}: those runs may have measured the load side, not the target.`,
      );
    mkdirSync(join(args.out, '..'), { recursive: true });
    writeFileSync(args.out, JSON.stringify(report, null, 2));
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stopAll();
  }
}

function pct(share: number): string {
  return Number.isFinite(share) ? `${(share * 100).toFixed(0)} %` : '–';
}

type ProfileKind = 'cpu' | 'heap';

interface ProfiledTarget {
  /** Base name of the files written: `<name>.cpuprofile` or `<name>.heapprofile`, and `<name>.window.json`. */
  name: string;
  reader: StreamReader;
  start: (name: string, nodeFlags: string[]) => Promise<{ proc: Managed; port: number }>;
  specFor: (port: number) => Promise<RequestSpec>;
}

/**
 * Separate processes of the targets, started together with a profiler: `cpu`, under --cpu-prof (the profile is
 * written at exit); `heap`, with bench/lib/heap-sample.ts loaded (V8's sampling heap profiler, started and stopped
 * with SIGUSR2 around the measured runs). Each is warmed up, then the load alternates between them in `slices`
 * slices of SECONDS / slices each, the order turning each slice, so the machine's drift over the run falls on every
 * target alike (one target, one slice: a plain run). Each `<name>.window.json` holds the target's measured intervals
 * (monotonic clock, µs, as a CPU profile's timestamps) and its streams or requests over all of them, so a summary
 * leaves start-up, warm-up, the other targets' slices and shutdown out. Returns each target's summary.
 */
async function profiledRuns(
  kind: ProfileKind,
  dir: string,
  stream: boolean,
  slices: number,
  targets: ProfiledTarget[],
  configureStub: (c: StubConfig) => Promise<void>,
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const fileOf = (t: ProfiledTarget) => join(dir, `${t.name}.${kind === 'cpu' ? 'cpuprofile' : 'heapprofile'}`);
  const flagsOf = (t: ProfiledTarget) => {
    if (kind === 'cpu') return ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${t.name}.cpuprofile`];
    const sampler = new URL('./lib/heap-sample.js', import.meta.url);
    sampler.searchParams.set('out', fileOf(t));
    return ['--import', sampler.href];
  };
  const running: {
    target: ProfiledTarget;
    proc: Managed;
    spec: RequestSpec;
    windows: [number, number][];
    count: number;
  }[] = [];
  try {
    for (const target of targets) {
      rmSync(fileOf(target), { force: true });
      const { proc, port } = await target.start(`${target.name}-profiled`, flagsOf(target));
      running.push({ target, proc, spec: await target.specFor(port), windows: [], count: 0 });
    }
    await configureStub({ stream: 'long', mode: 'burst', gapMs: 0 });
    const load = (r: (typeof running)[number], durationMs: number) =>
      runLoad({ spec: r.spec, concurrency: 32, durationMs, ...(stream ? { stream: r.target.reader } : {}) });
    for (const r of running) await load(r, 2000);
    // The heap sampler counts whatever is allocated while it runs; an idle target allocates next to nothing.
    if (kind === 'heap') for (const r of running) r.proc.child.kill('SIGUSR2');
    const sliceMs = (SECONDS * 1000) / slices;
    for (let slice = 0; slice < slices; slice++) {
      for (let k = 0; k < running.length; k++) {
        const r = running[(slice + k) % running.length] as (typeof running)[number];
        const startMicros = Number(process.hrtime.bigint() / 1000n);
        const result = await load(r, sliceMs);
        r.windows.push([startMicros, Number(process.hrtime.bigint() / 1000n)]);
        r.count += result.latenciesMicros.length;
      }
    }
    if (kind === 'heap') {
      for (const r of running) r.proc.child.kill('SIGUSR2');
      const deadline = Date.now() + 30_000;
      while (!running.every((r) => existsSync(fileOf(r.target)))) {
        if (Date.now() > deadline) throw new Error(`no heap profile written to ${dir}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    for (const r of running) {
      const w = r.windows;
      writeFileSync(
        join(dir, `${r.target.name}.window.json`),
        JSON.stringify({
          startMicros: (w[0] as [number, number])[0],
          endMicros: (w[w.length - 1] as [number, number])[1],
          windows: w,
          streams: r.count,
          deltas: stream ? DELTAS : 0,
        }),
      );
    }
  } finally {
    for (const r of running) await r.proc.stop(60_000);
  }
  return targets.map((t) =>
    kind === 'cpu' ? formatSummary(summariseProfile(fileOf(t))) : formatHeapSummary(summariseHeapProfile(fileOf(t))),
  );
}

interface StreamsResult {
  streams: number;
  maxOpen: number;
  completed: number;
  errors: number;
  firstError: string | undefined;
  ttftP50Ms: number;
  ttftP99Ms: number;
  streamP50Ms: number;
  rssIdleMiB: number;
  rssPeakMiB: number;
  /** Shares of one core used during the run by the gateway, the load generator and the stub. */
  gatewayCpuShare: number;
  clientCpuShare: number;
  stubCpuShare: number;
}

/**
 * Holds STREAMS streams open through the gateway at once: the stub paces its deltas OPEN_STREAM_GAP_MS apart,
 * the workers start evenly over two seconds (steady state, not one burst of connects) and each starts a new
 * stream when its last one ends. The gateway's RSS and its own in-flight gauge are sampled throughout.
 */
async function streamsAtScale(
  spec: RequestSpec,
  gateway: Managed,
  adminPort: number,
  stub: Managed,
): Promise<StreamsResult> {
  const rssIdleMiB = gateway.rssMiB();
  let rssPeakMiB = rssIdleMiB;
  let maxOpen = 0;
  let sampling = false;
  const sampler = setInterval(() => {
    rssPeakMiB = Math.max(rssPeakMiB, gateway.rssMiB());
    if (sampling) return;
    sampling = true;
    fetch(`http://127.0.0.1:${adminPort}/metrics`)
      .then((res) => res.text())
      .then((text) => {
        const open = /^aigw_inflight_requests\{route="chat"\} (\d+)/m.exec(text);
        if (open) maxOpen = Math.max(maxOpen, Number(open[1]));
      })
      .catch(() => undefined)
      .finally(() => {
        sampling = false;
      });
  }, 100);
  const gateway0 = gateway.cpuMicros();
  const stub0 = stub.cpuMicros();
  try {
    const result = await runLoad({
      spec,
      concurrency: STREAMS,
      durationMs: STREAM_SECONDS * 1000,
      rampMs: 2000,
      stream: 'sse',
    });
    const streams = summarise(result.latenciesMicros, result.errors, result.seconds);
    const ttft = summarise(result.firstContentMicros, 0, result.seconds);
    process.stderr.write(`streams: ${streams.count} completed, ${result.errors} errors, ${maxOpen} open at most\n`);
    const wall = result.seconds * 1e6;
    return {
      gatewayCpuShare: (gateway.cpuMicros() - gateway0) / wall,
      clientCpuShare: result.clientCpuMicros / wall,
      stubCpuShare: (stub.cpuMicros() - stub0) / wall,
      streams: STREAMS,
      maxOpen,
      completed: streams.count,
      errors: result.errors,
      firstError: result.firstError,
      ttftP50Ms: ttft.p50Ms,
      ttftP99Ms: ttft.p99Ms,
      streamP50Ms: streams.p50Ms,
      rssIdleMiB,
      rssPeakMiB,
    };
  } finally {
    clearInterval(sampler);
  }
}

await main();

/** The gateway's memory limit in the Helm chart's default values. */
function chartGatewayMemoryLimit(valuesFile: string): string {
  const values = parseYaml(readFileSync(valuesFile, 'utf8')) as {
    gateway?: { resources?: { limits?: { memory?: string } } };
  };
  const limit = values.gateway?.resources?.limits?.memory;
  if (!limit) throw new Error(`${valuesFile}: no gateway.resources.limits.memory (pass --memory-limit)`);
  return String(limit);
}
