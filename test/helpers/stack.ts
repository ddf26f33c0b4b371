/**
 * End-to-end stacks: the Bedrock emulator on a free port and the gateway serving the examples (with the
 * emulator's endpoint), either in-process or as an `aigw serve` child process (for signals and
 * environment-dependent upstream auth).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { pino } from 'pino';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../../emulator/src/index.js';
import { ManifestDirSource } from '../../gateway/src/config/index.js';
import { type GatewayOptions, type RunningGateway, startGateway } from '../../gateway/src/server/index.js';
import { type ConfigDir, DEMO_KEY, makeConfigDir, REPO_ROOT } from './config-dir.js';

export interface Stack {
  readonly emulator: RunningEmulator;
  readonly gateway: RunningGateway;
  readonly config: ConfigDir;
  /** An openai SDK client for the gateway; SDK retries off so every status is what the gateway sent. */
  client(key?: string): OpenAI;
  close(): Promise<void>;
}

/** Fast upstream retries so fault tests take milliseconds, not seconds. */
export const TEST_UPSTREAM_OPTIONS = { retryBaseMs: 5, retryCapMs: 20, maxRetryAfterMs: 50 } as const;

export function openaiClient(baseURL: string, key = DEMO_KEY): OpenAI {
  return new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: key, maxRetries: 0, timeout: 20_000 });
}

/** Starts the emulator and an in-process gateway on free ports. */
export async function startStack(
  options: {
    emulator?: EmulatorOptions;
    extraFiles?: Record<string, string>;
    /** Point account endpoints here instead of at the emulator (e.g. a proxy in front of it). */
    endpointUrl?: (emulatorUrl: string) => Promise<string> | string;
    gateway?: Partial<GatewayOptions>;
  } = {},
): Promise<Stack> {
  const emulator = await startEmulator({ port: 0, ...options.emulator });
  const endpoint = options.endpointUrl ? await options.endpointUrl(emulator.url) : emulator.url;
  const config = await makeConfigDir({
    emulatorUrl: endpoint,
    ...(options.extraFiles ? { extraFiles: options.extraFiles } : {}),
  });
  let gateway: RunningGateway;
  try {
    gateway = await startGateway({
      source: new ManifestDirSource(config.dir),
      port: 0,
      adminPort: 0,
      logger: pino({ level: process.env.AIGW_TEST_LOG_LEVEL ?? 'silent' }),
      upstreamOptions: TEST_UPSTREAM_OPTIONS,
      mediaFetcher: null,
      watch: { pollIntervalMs: 200, debounceMs: 20 },
      ...options.gateway,
    });
  } catch (err) {
    await emulator.close();
    await config.remove();
    throw err;
  }
  return {
    emulator,
    gateway,
    config,
    client: (key) => openaiClient(gateway.url, key),
    async close() {
      await gateway.close();
      await emulator.close();
      await config.remove();
    },
  };
}

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
 * AWS variables). Resolves once both listeners are up.
 */
export async function spawnGateway(args: string[], env: Record<string, string> = {}): Promise<ChildGateway> {
  ensureBuilt();
  const baseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) baseEnv[k] = v;
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', '--admin-port', '0', ...args],
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
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 15_000);
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
