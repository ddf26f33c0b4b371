import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface Managed {
  name: string;
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs` (5 s) if it has not exited. */
  stop(graceMs?: number): Promise<void>;
  rssMiB(): number;
  /** CPU time (user + system, all threads) the process has used so far, in µs, from /proc/PID/stat. */
  cpuMicros(): number;
  /** Its CPU, kernel CPU, page faults and system calls so far, for the difference over a run. */
  counters(): ProcessCounters;
  /** The CPU list the process is pinned to (taskset), if any. */
  cpus: string | undefined;
}

/** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ, 100 on Linux unless told otherwise). */
let clockTicks: number | undefined;
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * The fields of /proc/PID/stat after the command name (fields[0] is field 3, `state`), or undefined when the
 * process is gone.
 */
function statFields(pid: number | undefined): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU time of a process in µs: utime + stime (fields 14 and 15 of /proc/PID/stat). */
export function processCpuMicros(pid: number | undefined): number {
  const fields = statFields(pid);
  return fields ? ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond()) * 1e6 : Number.NaN;
}

/** What a process has used so far (NaN for what cannot be read). */
export interface ProcessCounters {
  /** utime + stime, µs. */
  cpuMicros: number;
  /** stime (field 15 of /proc/PID/stat), µs. */
  systemCpuMicros: number;
  /** minflt (field 10). */
  minorFaults: number;
  /** syscr and syscw of /proc/PID/io. */
  readSyscalls: number;
  writeSyscalls: number;
}

export function processCounters(pid: number | undefined): ProcessCounters {
  const fields = statFields(pid);
  const ticks = ticksPerSecond();
  let io = '';
  try {
    io = readFileSync(`/proc/${pid}/io`, 'utf8');
  } catch {
    // unreadable: NaN below
  }
  const ioField = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(io)?.[1] ?? Number.NaN);
  return {
    cpuMicros: fields ? ((Number(fields[11]) + Number(fields[12])) / ticks) * 1e6 : Number.NaN,
    systemCpuMicros: fields ? (Number(fields[12]) / ticks) * 1e6 : Number.NaN,
    minorFaults: fields ? Number(fields[7]) : Number.NaN,
    readSyscalls: ioField('syscr'),
    writeSyscalls: ioField('syscw'),
  };
}

/** Whether `taskset` can pin processes here (util-linux; absent on some minimal images). */
export function canPin(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins this process and all its threads to a CPU list (e.g. "0"). */
export function pinSelf(cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
}

/** Whether this process may listen on the port (e.g. 80 needs root or CAP_NET_BIND_SERVICE). */
export async function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a child process and waits until `ready()` resolves true (polled), or fails after `readyTimeoutMs` (30 s).
 * With `cpus`, it runs under `taskset -c cpus`; with `cgroup`, a shell first moves itself into that cgroup
 * directory. Both exec the command, so the child's PID is the command's own.
 */
export async function startProcess(
  name: string,
  command: string,
  args: string[],
  ready: () => Promise<boolean>,
  env: NodeJS.ProcessEnv = {},
  cpus?: string,
  cgroup?: string,
  readyTimeoutMs = 30_000,
): Promise<Managed> {
  let [cmd, argv] = [command, args];
  if (cgroup) [cmd, argv] = ['sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup, cmd, ...argv]];
  if (cpus) [cmd, argv] = ['taskset', ['-c', cpus, cmd, ...argv]];
  const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const until = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited early (${child.exitCode}): ${stderr}`);
    if (await ready().catch(() => false)) break;
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not become ready: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name,
    child,
    cpus,
    cpuMicros: () => processCpuMicros(child.pid),
    counters: () => processCounters(child.pid),
    rssMiB: () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
        return kb / 1024;
      } catch {
        return Number.NaN;
      }
    },
    stop: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        // Killed by a signal (a Ctrl-C reaches the whole process group), it has no exit code but has exited.
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
      }),
  };
}

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status < 500;
}

/**
 * The arguments after node's own flags that start `aigw serve` on loopback: `script` (aigw.js of a build),
 * the manifest directory and the two ports. Readiness is `httpOk` of `/readyz` on the admin port.
 */
export function aigwServeArgs(script: string, configDir: string, port: number, adminPort: number): string[] {
  return [
    script,
    'serve',
    '--config',
    configDir,
    '--port',
    String(port),
    '--admin-port',
    String(adminPort),
    '--host',
    '127.0.0.1',
  ];
}
