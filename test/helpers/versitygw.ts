/**
 * A real S3 server for tests: versitygw (Apache-2.0) with its posix backend, built by
 * test/kube/tools/build.sh into `<cache>/bin/versitygw-<version>/versitygw` and started here on a free
 * loopback port in a temporary directory, with root keys chosen by the test. Without the binary the
 * suites that need it are skipped with a printed reason, except under CI (CI=true), where that fails.
 *
 * ```ts
 * const availability = versitygwAvailability();
 * describe.skipIf(!availability.run)('files on a real S3', () => {
 *   let s3: RunningVersitygw;
 *   beforeAll(async () => { s3 = await startVersitygw({ buckets: ['files'] }); });
 *   afterAll(() => s3.stop());
 *   // s3.endpoint, s3.accessKeyId, s3.secretAccessKey, s3.client()
 * });
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

const BIN_CACHE = join(process.env.AIGW_CACHE ?? join(homedir(), '.cache', 'aigateway'), 'bin');

/** The versitygw binary: `VERSITYGW_BIN` first, else the newest cached build. */
export function findVersitygw(): string | undefined {
  const env = process.env.VERSITYGW_BIN;
  if (env) return existsSync(env) ? env : undefined;
  if (!existsSync(BIN_CACHE)) return undefined;
  const newest = readdirSync(BIN_CACHE)
    .filter((d) => d.startsWith('versitygw-v') && existsSync(join(BIN_CACHE, d, 'versitygw')))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .at(-1);
  return newest ? join(BIN_CACHE, newest, 'versitygw') : undefined;
}

/**
 * Whether suites needing versitygw can run. Missing binary: skipped with a printed reason, or under
 * CI=true an error (CI builds it first with test/kube/tools/build.sh).
 */
export function versitygwAvailability(): { run: boolean; reason: string } {
  if (findVersitygw()) return { run: true, reason: '' };
  const reason = 'missing versitygw: run `bash test/kube/tools/build.sh versitygw` (or set VERSITYGW_BIN)';
  if (process.env.CI === 'true') throw new Error(`S3 suite cannot run under CI: ${reason}`);
  console.warn(`[versitygw suite skipped] ${reason}`);
  return { run: false, reason };
}

/** A running versitygw. */
export interface RunningVersitygw {
  /** `http://127.0.0.1:<port>`; path-style only. */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The posix root: one directory per bucket. */
  readonly dir: string;
  /** An S3 client for the root user (path-style), destroyed on stop. */
  client(): S3Client;
  /** Creates a bucket (an existing one is fine). */
  createBucket(name: string): Promise<void>;
  /** Log output so far, for failure messages. */
  logTail(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(endpoint: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`versitygw exited with ${child.exitCode}: ${log()}`);
    try {
      // Any HTTP answer (an unsigned request is refused with 403) means the listener is up.
      const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`versitygw did not become ready at ${endpoint}: ${log()}`);
}

/**
 * Starts versitygw (posix backend) on 127.0.0.1 with root keys of the caller's choosing (random by
 * default) and creates `buckets`.
 */
export async function startVersitygw(
  options: { buckets?: string[]; accessKeyId?: string; secretAccessKey?: string; region?: string } = {},
): Promise<RunningVersitygw> {
  const bin = findVersitygw();
  if (!bin) throw new Error('versitygw is not built: run `bash test/kube/tools/build.sh versitygw`');
  const dir = mkdtempSync(join(tmpdir(), 'aigw-versitygw-'));
  const root = join(dir, 'root');
  const sidecar = join(dir, 'meta');
  mkdirSync(root);
  mkdirSync(sidecar);
  const accessKeyId = options.accessKeyId ?? `VGW${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = options.secretAccessKey ?? randomBytes(24).toString('base64url');
  const region = options.region ?? 'us-east-1';
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // Keys go through the environment, not argv, so they do not show in process listings. Object metadata
  // lives in a sidecar directory, so the test's filesystem needs no extended-attribute support.
  const child = spawn(
    bin,
    ['--port', `127.0.0.1:${port}`, '--region', region, '--quiet', 'posix', '--sidecar', sidecar, root],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', ROOT_ACCESS_KEY_ID: accessKeyId, ROOT_SECRET_ACCESS_KEY: secretAccessKey },
    },
  );
  const chunks: Buffer[] = [];
  const keep = (b: Buffer) => {
    chunks.push(b);
    if (chunks.length > 2000) chunks.splice(0, 500);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const logTail = () => Buffer.concat(chunks).toString('utf8').slice(-4000);
  // A test process that dies without calling stop() must not leave the server running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const clients: S3Client[] = [];
  const client = () => {
    const c = new S3Client({
      endpoint,
      region,
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
    clients.push(c);
    return c;
  };
  const stop = async () => {
    process.off('exit', killOnExit);
    for (const c of clients) c.destroy();
    if (child.exitCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(endpoint, child, logTail);
    const admin = client();
    const createBucket = async (name: string) => {
      try {
        await admin.send(new CreateBucketCommand({ Bucket: name }));
      } catch (error) {
        const code = (error as { name?: string }).name;
        if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw error;
      }
    };
    for (const bucket of options.buckets ?? []) await createBucket(bucket);
    return { endpoint, region, accessKeyId, secretAccessKey, dir: root, client, createBucket, logTail, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
