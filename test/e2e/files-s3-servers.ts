/**
 * S3 servers for the Files suites: versitygw (a real, maintained S3 server, posix backend) on a free
 * loopback port. The binary is built by the repository's tooling into the cache directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Backend } from './files-stack.js';

const VERSITYGW = join(
  process.env.AIGW_CACHE_DIR ?? join(homedir(), '.cache', 'aigateway'),
  'bin',
  'versitygw-v1.8.0',
  'versitygw',
);

/** Whether versitygw can run here (under CI a missing binary is a failure, not a skip). */
export function versitygwAvailable(): boolean {
  const found = existsSync(VERSITYGW);
  if (!found && process.env.CI) throw new Error(`versitygw is not built: ${VERSITYGW}`);
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts versitygw with a fresh posix root; resolves once it answers HTTP. */
export async function startVersitygw(): Promise<S3Backend> {
  const root = await mkdtemp(join(tmpdir(), 'aigw-vgw-'));
  const accessKeyId = 'AKIAFILESTEST0000001';
  const secretAccessKey = 'files-test-secret-key-0000000000000000000';
  const port = await freePort();
  const child: ChildProcess = spawn(VERSITYGW, ['--port', `127.0.0.1:${port}`, 'posix', root], {
    env: { ...process.env, ROOT_ACCESS_KEY: accessKeyId, ROOT_SECRET_KEY: secretAccessKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`versitygw exited: ${output}`);
    const up = await fetch(endpoint).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`versitygw did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: 'versitygw',
    endpoint,
    accessKeyId,
    secretAccessKey,
    region: 'us-east-1',
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(root, { recursive: true, force: true });
    },
  };
}
