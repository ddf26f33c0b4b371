/**
 * Black-box harness for the emulator acceptance suites: runs `aigw emulator` as a child process (the
 * way a user starts it) and offers the built-in identities from docs/emulator.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureBuilt } from '../helpers/cli-process.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(REPO_ROOT, 'dist', 'gateway', 'src', 'cli', 'aigw.js');

/** The built-in IAM user's access key (docs/emulator.md, Identities). */
export const ACCESS_KEY = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
} as const;
/** The built-in long-term Bedrock API key. */
export const LONG_TERM_API_KEY = 'ABSKRW11bGF0b3JEZW1vS2V5';
export const ACCOUNT = '111122223333';
export const USER_ARN = `arn:aws:iam::${ACCOUNT}:user/aigw-emulator-user`;
export const ROLE_WITH_EXTERNAL_ID = `arn:aws:iam::${ACCOUNT}:role/BedrockAccess`;
export const EXTERNAL_ID = 'aigw-demo-external-id';
export const OPEN_ROLE = `arn:aws:iam::${ACCOUNT}:role/BedrockOpen`;

export interface EmulatorProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  output(): string;
  close(): Promise<void>;
}

/** Starts `aigw emulator --port 0` (plus `args`) and resolves once it prints where it listens. */
export async function spawnEmulator(args: string[] = []): Promise<EmulatorProcess> {
  ensureBuilt();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) env[k] = v;
  const child = spawn(process.execPath, [CLI, 'emulator', '--port', '0', ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // An emulator that never said where it listens would outlive the test run: stop it.
      child.kill('SIGKILL');
      reject(new Error(`emulator did not start:\n${output}`));
    }, 15_000);
    const check = (): void => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    child,
    output: () => output,
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
