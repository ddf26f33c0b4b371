import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestSpec } from './load.js';
import { ticksPerSecond } from './processes.js';

/**
 * wrk (Debian package `wrk`) as the load for throughput runs: written in C, it costs the load side's core a
 * fraction of what a Node.js client does per request, so the floor at concurrency 32 is not limited by its
 * client. It only counts responses and times them (no first-content timing, no check of the stream's end
 * beyond the status), so the bench uses it for the concurrency-32 runs and its own generator for the rest.
 */
export interface WrkResult {
  requests: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  firstError?: string;
  /** CPU time wrk used (user + system), µs. */
  clientCpuMicros: number;
}

export function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // `wrk --version` prints its usage and exits 1 when it is installed.
    return (error as { status?: number }).status === 1;
  }
}

/** The CPU time of this process's reaped children (cutime + cstime of /proc/self/stat), µs. */
function childrenCpuMicros(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3, so cutime (16) and cstime (17) are fields[13] and fields[14].
  return ((Number(fields[13]) + Number(fields[14])) / ticksPerSecond()) * 1e6;
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

/** A Lua long string, so bodies and header values need no escaping. */
const lua = (s: string) => `[==[${s}]==]`;

export async function runWrk(options: {
  spec: RequestSpec;
  concurrency: number;
  durationMs: number;
  cpus?: string;
}): Promise<WrkResult> {
  const { spec } = options;
  const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-wrk-'));
  const script = join(dir, 'request.lua');
  writeFileSync(
    script,
    [
      'wrk.method = "POST"',
      `wrk.body = ${lua(spec.body)}`,
      ...Object.entries(spec.headers)
        .filter(([k]) => k.toLowerCase() !== 'content-length')
        .map(([k, v]) => `wrk.headers[ ${lua(k)} ] = ${lua(v)}`),
      '',
    ].join('\n'),
  );
  const args = [
    '-t1',
    `-c${options.concurrency}`,
    `-d${Math.max(1, Math.round(options.durationMs / 1000))}s`,
    '--latency',
    '-s',
    script,
    `${spec.origin}${spec.path}`,
  ];
  const [cmd, argv] = options.cpus ? ['taskset', ['-c', options.cpus, 'wrk', ...args]] : ['wrk', args];
  const cpuBefore = childrenCpuMicros();
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited ${code}: ${out}`))));
  });
  const clientCpuMicros = childrenCpuMicros() - cpuBefore;
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(output);
  if (!total) throw new Error(`unexpected wrk output: ${output}`);
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output);
    return m ? toMs(m[1]!, m[2]!) : Number.NaN;
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((a, x) => a + Number(x), 0) : 0;
  const errors = non2xx + socketErrors;
  const requests = Number(total[1]) - non2xx;
  return {
    requests,
    seconds: toMs(total[2]!, total[3]!) / 1000,
    p50Ms: pct('50'),
    p99Ms: pct('99'),
    errors,
    ...(errors > 0 ? { firstError: `wrk: ${non2xx} non-2xx responses, ${socketErrors} socket errors` } : {}),
    clientCpuMicros,
  };
}
