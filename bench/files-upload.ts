/**
 * Files upload memory and throughput: one `aigw serve` process storing files on a real S3 server
 * (versitygw, posix backend), a large batch file uploaded through the official openai SDK, and the
 * gateway's resident memory sampled every 20 ms from /proc while it streams.
 *
 * Reported: RSS before (after a warm-up upload), the peak during the upload, the growth, and MB/s; once for
 * a valid file (streamed to S3 as a multipart upload) and once for the same file with a bad last line (the
 * whole file is read and validated, then the multipart upload is aborted and the caller gets the 400).
 *
 * Usage: node dist/bench/files-upload.js [--mib 200] [--versitygw PATH] [--node-flags "--max-semi-space-size=4"]
 * (the versitygw binary is the one the repository's tooling builds into ~/.cache/aigateway/bin).
 */

import { once } from 'node:events';
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import OpenAI from 'openai';
import { aigwServeArgs, freePort, httpOk, type Managed, startProcess } from './lib/processes.js';

const { values: args } = parseArgs({
  options: {
    mib: { type: 'string', default: '200' },
    versitygw: {
      type: 'string',
      default: join(
        process.env.AIGW_CACHE_DIR ?? join(homedir(), '.cache', 'aigateway'),
        'bin',
        'versitygw-v1.8.0',
        'versitygw',
      ),
    },
    'node-flags': { type: 'string', default: '' },
  },
});
const MIB = Number(args.mib);
const ACCESS_KEY = 'AKIABENCHFILES000001';
const SECRET_KEY = 'bench-files-secret-0000000000000000000000';
const API_KEY = 'sk-aigw-bench-files-0000000000000';
const BUCKET = 'aigw-bench-files';
const AIGW = 'dist/gateway/src/cli/aigw.js';

function config(s3Endpoint: string): string {
  return `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: bench, namespace: default }
spec:
  provider: aws-bedrock
  region: us-east-1
  endpoint: http://127.0.0.1:9
  s3Endpoint: ${s3Endpoint}
  batch: { s3Bucket: ${BUCKET}, s3Prefix: bench/ }
  auth: { type: accessKey, accessKey: { secretRef: { name: bench-s3 } } }
  collaborators: [{ subject: "user:bench@example.com", role: Manager }]
---
apiVersion: v1
kind: Secret
metadata: { name: bench-s3, namespace: default }
stringData: { AWS_ACCESS_KEY_ID: ${ACCESS_KEY}, AWS_SECRET_ACCESS_KEY: ${SECRET_KEY} }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: bench-key, namespace: default }
stringData: { token: ${API_KEY}, subject: "user:bench@example.com" }
`;
}

/** Writes a batch file of about `mib` MiB: ~4 KiB chat lines (so it stays under 50,000 lines). */
async function writeBatchFile(path: string, mib: number, badLastLine: boolean): Promise<number> {
  const out = createWriteStream(path);
  const content = 'lorem ipsum '.repeat(340);
  let bytes = 0;
  for (let i = 0; bytes < mib * 1024 * 1024; i++) {
    const line = `${JSON.stringify({
      custom_id: `request-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'bench/nova', messages: [{ role: 'user', content }] },
    })}\n`;
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, 'drain');
  }
  if (badLastLine) {
    const line = '{"custom_id":"last","method":"POST","url":"/v1/chat/completions"}\n';
    bytes += line.length;
    out.write(line);
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

function rssMiBOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

async function measure(gateway: Managed, client: OpenAI, path: string, bytes: number) {
  const pid = gateway.child.pid!;
  // Let the previous upload's garbage settle so the baseline is the idle heap.
  await new Promise((r) => setTimeout(r, 1500));
  const before = rssMiBOf(pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiBOf(pid));
  }, 20);
  const start = performance.now();
  let outcome: string;
  try {
    const file = await client.files.create({ file: createReadStream(path), purpose: 'batch' });
    outcome = `stored ${file.bytes} bytes`;
  } catch (err) {
    outcome = `refused: ${(err as Error).message.slice(0, 90)}`;
  }
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rssMiBOf(pid));
  return { before, peak, growth: peak - before, seconds, mbPerSecond: bytes / 1e6 / seconds, outcome };
}

async function main(): Promise<void> {
  const managed: Managed[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'aigw-bench-files-'));
  try {
    const s3Port = await freePort();
    const s3Endpoint = `http://127.0.0.1:${s3Port}`;
    const s3Root = join(scratch, 's3');
    mkdirSync(s3Root);
    managed.push(
      await startProcess(
        'versitygw',
        args.versitygw,
        ['--port', `127.0.0.1:${s3Port}`, 'posix', s3Root],
        () => fetch(s3Endpoint).then(() => true),
        { ROOT_ACCESS_KEY: ACCESS_KEY, ROOT_SECRET_KEY: SECRET_KEY },
      ),
    );
    const s3 = new S3Client({
      endpoint: s3Endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    s3.destroy();

    const configDir = join(scratch, 'config');
    mkdirSync(configDir);
    writeFileSync(join(configDir, 'bench.yaml'), config(s3Endpoint));
    const port = await freePort();
    const adminPort = await freePort();
    const flags = args['node-flags'].split(' ').filter(Boolean);
    const gateway = await startProcess(
      'aigw',
      process.execPath,
      [...flags, ...aigwServeArgs(AIGW, configDir, port, adminPort)],
      () => httpOk(`http://127.0.0.1:${adminPort}/readyz`),
      { AIGW_LOG_LEVEL: 'warn' },
    );
    managed.push(gateway);
    const client = new OpenAI({
      baseURL: `http://127.0.0.1:${port}/v1`,
      apiKey: API_KEY,
      maxRetries: 0,
      timeout: 600_000,
    });

    const small = join(scratch, 'small.jsonl');
    await writeBatchFile(small, 1, false);
    const good = join(scratch, 'good.jsonl');
    const goodBytes = await writeBatchFile(good, MIB, false);
    const bad = join(scratch, 'bad.jsonl');
    const badBytes = await writeBatchFile(bad, MIB, true);

    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join('/');
    // Warm-up: loads the S3 client and the upload path, so the baseline includes them.
    await client.files.create({ file: createReadStream(small), purpose: 'batch' });
    const valid = await measure(gateway, client, good, goodBytes);
    const refused = await measure(gateway, client, bad, badBytes);
    const table = [
      `CPUs: ${cpus().length}, Node ${process.version}, load average at start ${load}, at end ${loadavg()
        .map((l) => l.toFixed(2))
        .join('/')}`,
      `gateway node flags: ${flags.join(' ') || '(none)'}`,
      '',
      '| upload | size MiB | RSS before MiB | RSS peak MiB | growth MiB | seconds | MB/s | outcome |',
      '|---|---|---|---|---|---|---|---|',
      ...[
        ['valid file', goodBytes, valid],
        ['bad last line', badBytes, refused],
      ].map(([name, bytes, r]) => {
        const m = r as Awaited<ReturnType<typeof measure>>;
        return `| ${name} | ${((bytes as number) / 1048576).toFixed(0)} | ${m.before.toFixed(1)} | ${m.peak.toFixed(1)} | ${m.growth.toFixed(1)} | ${m.seconds.toFixed(1)} | ${m.mbPerSecond.toFixed(1)} | ${m.outcome} |`;
      }),
    ];
    console.log(table.join('\n'));
  } finally {
    for (const m of managed.reverse()) await m.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
