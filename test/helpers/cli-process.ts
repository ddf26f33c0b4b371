/**
 * The CLI as child processes: builds `dist/` once per test run (under a lock, only when sources changed)
 * and runs `aigw serve`. Imports nothing of the gateway's sources, so a suite that only spawns processes
 * stays light.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './config-dir.js';

const CLI = join(REPO_ROOT, 'dist', 'gateway', 'src', 'cli', 'aigw.js');
let built = false;

/**
 * Compiles the project so a child process runs the current sources. Test files run in parallel and
 * spawn the CLI from dist/, so a rebuild while another file's child starts would hand it half-written
 * modules: the build runs under a lock, and only when the sources differ from the last build (a stamp
 * of every compiled file's path, size and mtime), so one test run builds once.
 */
export function ensureBuilt(): void {
  if (built) return;
  const dist = join(REPO_ROOT, 'dist');
  mkdirSync(dist, { recursive: true });
  const lock = join(dist, '.build.lock');
  const stampFile = join(dist, '.build.stamp');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file is building; a lock older than any build is left over from a killed run.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`${lock} held for too long`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    const stamp = sourceStamp();
    const previous = existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : '';
    if (stamp !== previous || !existsSync(CLI)) {
      try {
        execFileSync(
          process.execPath,
          [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
          { cwd: REPO_ROOT, stdio: 'ignore' },
        );
      } catch {
        // tsc exits non-zero on type errors anywhere in the tree but still emits; what matters here is a
        // freshly emitted CLI.
      }
      writeFileSync(stampFile, stamp);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  if (!existsSync(CLI)) throw new Error(`build did not produce ${CLI}`);
  built = true;
}

/** Path, size and mtime of every file tsconfig.build.json compiles, and of the configs themselves. */
function sourceStamp(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const st = statSync(path);
        hash.update(`${path}\0${st.size}\0${st.mtimeMs}\n`);
      }
    }
  };
  for (const dir of ['gateway/src', 'operator/src', 'emulator/src', 'bench']) walk(join(REPO_ROOT, dir));
  for (const file of ['tsconfig.json', 'tsconfig.build.json', 'package.json']) {
    hash.update(readFileSync(join(REPO_ROOT, file)));
  }
  return hash.digest('hex');
}

export interface ChildGateway {
  readonly url: string;
  readonly adminUrl: string;
  readonly process: ChildProcess;
  /** Everything the process logged so far. */
  output(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs `aigw serve` as a child process with `args` and `env` (added to a clean environment without
 * AWS variables). Resolves once both listeners are up. `cli` is an already built CLI to run instead of
 * building `dist/`.
 */
export async function spawnGateway(
  args: string[],
  env: Record<string, string> = {},
  cli?: string,
): Promise<ChildGateway> {
  if (!cli) ensureBuilt();
  const baseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) baseEnv[k] = v;
  const child = spawn(
    process.execPath,
    [cli ?? CLI, 'serve', '--host', '127.0.0.1', '--port', '0', '--admin-port', '0', ...args],
    {
      cwd: REPO_ROOT,
      env: { ...baseEnv, AIGW_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = await new Promise<{ url: string; admin: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A gateway that never said where it listens would outlive the test run: stop it.
      child.kill('SIGKILL');
      reject(new Error(`gateway did not start:\n${output}`));
    }, 15_000);
    const check = () => {
      const match = /"url":"(http:[^"]+)","admin":"(http:[^"]+)"/.exec(output);
      if (match?.[1] && match[2]) {
        clearTimeout(timer);
        resolve({ url: match[1], admin: match[2] });
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}:\n${output}`));
    });
  });
  return {
    url: listening.url,
    adminUrl: listening.admin,
    process: child,
    output: () => output,
    exited,
    kill: (signal = 'SIGTERM') => child.kill(signal),
  };
}
