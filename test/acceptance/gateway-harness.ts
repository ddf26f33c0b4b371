/**
 * Black-box harness for the gateway acceptance suites: runs `aigw emulator` and `aigw serve --config DIR`
 * as real processes from the CLI built by `tsc -p tsconfig.build.json` (what `npm run build` runs), on
 * free localhost ports, with manifests written to a temp dir the way a user would write them.
 *
 * The CLI is built into a private directory per test process: other suites rebuild `dist/` while these
 * run, and a process started from a half-written `dist/` misbehaves in ways that look like product bugs.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
// Inside the repo (git-ignored `.aigw-run/`) so that the built files resolve the repo's node_modules and
// the CLI finds the repo's package.json for `--version`.
const BUILD_DIR = join(REPO_ROOT, '.aigw-run', `gateway-acceptance-${process.pid}`);
export const CLI = join(BUILD_DIR, 'gateway/src/cli/aigw.js');

/** Builds the CLI into this process's private directory (call once in `beforeAll`). */
export function buildCli(): void {
  try {
    execFileSync(
      process.execPath,
      [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR],
      { cwd: REPO_ROOT, stdio: 'pipe' },
    );
  } catch {
    // tsc emits even when another file of the tree has a type error; whether the CLI exists is what counts.
  }
  if (!existsSync(CLI)) throw new Error(`the CLI build produced no ${CLI}`);
}

/** Removes the private build (call in `afterAll`). */
export async function removeCliBuild(): Promise<void> {
  await rm(BUILD_DIR, { recursive: true, force: true });
}

/** Emulator identities (docs/emulator.md). */
export const EMU_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const EMU_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const EMU_BEDROCK_API_KEY = 'ABSKRW11bGF0b3JEZW1vS2V5';

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns true or the time is up. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop: () => Promise<void>;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): RunningProcess {
  if (!existsSync(CLI)) throw new Error(`call buildCli() first: ${CLI} is missing`);
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', OTEL_SDK_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return {
    child,
    output: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export interface Emulator extends RunningProcess {
  url: string;
  /** POST /_emulator/faults */
  fault: (f: Record<string, unknown>) => Promise<void>;
  clearFaults: () => Promise<void>;
  stats: () => Promise<{
    operations: Record<string, number>;
    sts: Record<string, number>;
    models: Record<string, number>;
  }>;
  setLatency: (l: Record<string, number>) => Promise<void>;
}

/** Starts `aigw emulator`; `configFile` is its optional `--config FILE` (e.g. a pinned region). */
export async function startEmulatorProcess(configFile?: string): Promise<Emulator> {
  const { p, url } = await withFreshPorts(async () => {
    const port = await freePort();
    const p = run([
      'emulator',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      ...(configFile ? ['--config', configFile] : []),
    ]);
    const url = `http://127.0.0.1:${port}`;
    await untilUp(p, async () => (await fetch(`${url}/_emulator/health`)).ok, 'emulator');
    return { p, url };
  });
  return {
    ...p,
    url,
    fault: async (f) => {
      const r = await fetch(`${url}/_emulator/faults`, {
        method: 'POST',
        body: JSON.stringify(f),
        headers: { 'content-type': 'application/json' },
      });
      if (!r.ok) throw new Error(`fault refused: ${r.status} ${await r.text()}`);
    },
    clearFaults: async () => {
      await fetch(`${url}/_emulator/faults`, { method: 'DELETE' });
    },
    stats: async () => (await (await fetch(`${url}/_emulator/stats`)).json()) as Awaited<ReturnType<Emulator['stats']>>,
    setLatency: async (l) => {
      const r = await fetch(`${url}/_emulator/config`, {
        method: 'PUT',
        body: JSON.stringify({ latency: l }),
        headers: { 'content-type': 'application/json' },
      });
      if (!r.ok) throw new Error(`latency refused: ${r.status}`);
    },
  };
}

export interface Gateway extends RunningProcess {
  baseURL: string;
  origin: string;
  admin: string;
  dir: string;
}

export async function makeConfigDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'aigw-acc-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

export async function startGatewayProcess(
  dir: string,
  opts: { env?: NodeJS.ProcessEnv; args?: string[] } = {},
): Promise<Gateway> {
  const { p, port, admin } = await withFreshPorts(async () => {
    const port = await freePort();
    const adminPort = await freePort();
    const p = run(
      [
        'serve',
        '--config',
        dir,
        '--port',
        String(port),
        '--admin-port',
        String(adminPort),
        '--host',
        '127.0.0.1',
        ...(opts.args ?? []),
      ],
      opts.env,
    );
    const admin = `http://127.0.0.1:${adminPort}`;
    await untilUp(p, async () => (await fetch(`${admin}/readyz`)).ok, 'gateway readiness');
    return { p, port, admin };
  });
  return { ...p, origin: `http://127.0.0.1:${port}`, baseURL: `http://127.0.0.1:${port}/v1`, admin, dir };
}

/** Waits for a started process to answer; fails at once (with its output) if it exits instead. */
async function untilUp(p: RunningProcess, check: () => Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    if (p.child.exitCode !== null)
      throw new PortOrStartError(`${what}: process exited ${p.child.exitCode}\n${p.output()}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > until) {
      await p.stop();
      throw new PortOrStartError(`timed out waiting for ${what}\n${p.output()}`);
    }
    await sleep(100);
  }
}

class PortOrStartError extends Error {}

/** Other suites on this machine pick free ports too: a port taken between probe and listen is retried. */
async function withFreshPorts<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (e) {
      if (attempt >= 3 || !(e instanceof PortOrStartError) || !/EADDRINUSE/.test(e.message)) throw e;
    }
  }
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** Parses an SSE body into its `data:` payloads. */
export function sseData(body: string): string[] {
  return body
    .split(/\r?\n\r?\n/)
    .flatMap((ev) =>
      ev
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim()),
    )
    .filter((d) => d.length > 0);
}
