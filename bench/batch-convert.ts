/**
 * Batch input conversion: how long a 50,000-line OpenAI batch file takes to become Bedrock's record JSONL and
 * record map, how much memory that costs, and how long the event loop is held meanwhile.
 *
 *   pipeline — file stream → line splitter → batch translators → two upload sinks drained as fast as S3 would
 *              take them (no network): the gateway's own cost
 *   create   — the same file uploaded through `POST /v1/files`, then `POST /v1/batches` through an in-process
 *              gateway against the emulator's S3 and batch control plane (the job is held before it runs)
 *
 * Options: --lines N (50000) --mode pipeline|create|both (both)
 * Run: `npx tsc -p tsconfig.build.json && node dist/bench/batch-convert.js`
 */
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { pino } from 'pino';
import { startEmulator } from '../emulator/src/index.js';
import { convertBatchLines, streamLines, UploadSink } from '../gateway/src/batches/index.js';
import type { CompiledAccount, CompiledModel, ServedModel } from '../gateway/src/config/index.js';
import { ManifestDirSource } from '../gateway/src/config/index.js';
import { startGateway } from '../gateway/src/server/index.js';

const { values: args } = parseArgs({
  options: { lines: { type: 'string', default: '50000' }, mode: { type: 'string', default: 'both' } },
});
const LINES = Number(args.lines);
const MODEL = 'demo/us-anthropic-claude-haiku-4-5-20251001-v1-0';
const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const MiB = 1024 * 1024;

/** A realistic chat batch line: system prompt, a user question of a few hundred characters, sampling settings. */
function inputFile(lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    out.push(
      JSON.stringify({
        custom_id: `request-${i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: {
          model: MODEL,
          messages: [
            { role: 'system', content: 'You classify support tickets into one of: billing, bug, feature, other.' },
            {
              role: 'user',
              content: `Ticket ${i}: ${'The invoice for last month shows a charge I do not recognise and the export button fails. '.repeat(3)}`,
            },
          ],
          max_tokens: 64,
          temperature: 0.2,
        },
      }),
    );
  }
  return `${out.join('\n')}\n`;
}

/** Peak RSS and event-loop delay while `work` runs. */
async function measure<T>(
  work: () => Promise<T>,
): Promise<{ result: T; ms: number; rssGrowthMiB: number; maxLoopMs: number }> {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const start = performance.now();
  const result = await work();
  const ms = performance.now() - start;
  loop.disable();
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { result, ms, rssGrowthMiB: (peak - base) / MiB, maxLoopMs: loop.max / 1e6 };
}

async function pipeline(file: string): Promise<void> {
  const account = { name: 'demo', region: 'us-east-1' } as CompiledAccount;
  const model: CompiledModel = {
    servedName: MODEL,
    account: 'demo',
    name: 'us-anthropic-claude-haiku-4-5-20251001-v1-0',
    modelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
    region: 'us-east-1',
    type: 'chat',
    family: 'anthropic',
  };
  const route: ServedModel = { model, account, credentials: {} };
  const sinks = [new UploadSink(), new UploadSink()];
  let bytes = 0;
  // Drained like an S3 upload that keeps up: the conversion, not the network, is measured.
  const drains = sinks.map(
    (s) =>
      new Promise<void>((done) =>
        s.stream
          .pipe(
            new Writable({
              write(chunk: Buffer, _enc, cb) {
                bytes += chunk.length;
                cb();
              },
            }),
          )
          .on('finish', done),
      ),
  );
  const m = await measure(async () => {
    const out = await convertBatchLines(
      streamLines(createReadStream(file), { maxLineBytes: 16 * MiB, what: 'the input file' }),
      { record: (l) => sinks[0]!.write(l), map: (l) => sinks[1]!.write(l) },
      { endpoint: '/v1/chat/completions', resolveModel: () => route, minRecords: 100, maxRecords: 50_000, sliceMs: 20 },
    );
    await Promise.all(sinks.map((s) => s.end()));
    await Promise.all(drains);
    return out.records;
  });
  console.log(
    `pipeline: ${m.result} lines in ${(m.ms / 1000).toFixed(2)} s (${Math.round(m.result / (m.ms / 1000))} lines/s), ` +
      `${(bytes / MiB).toFixed(1)} MiB written, peak RSS growth ${m.rssGrowthMiB.toFixed(1)} MiB, longest event-loop stall ${m.maxLoopMs.toFixed(1)} ms`,
  );
}

async function create(file: string): Promise<void> {
  // Jobs are held in Submitted (one lifecycle step lasts an hour), so only the create is measured.
  const emulator = await startEmulator({ port: 0, batch: { stepMs: 3_600_000 } });
  const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-batch-'));
  for (const name of readdirSync(join(REPO, 'examples')).filter((n) => n.endsWith('.yaml')))
    writeFileSync(
      join(dir, name),
      readFileSync(join(REPO, 'examples', name), 'utf8').replaceAll('http://127.0.0.1:4566', emulator.url),
    );
  const gateway = await startGateway({
    source: new ManifestDirSource(dir),
    port: 0,
    adminPort: null,
    logger: pino({ level: 'silent' }),
    watch: false,
  });
  try {
    const client = new OpenAI({
      baseURL: `${gateway.url}/v1`,
      apiKey: 'sk-aigw-demo-0000000000000000',
      maxRetries: 0,
      timeout: 600_000,
      defaultHeaders: { 'x-aigateway-account': 'demo' },
    });
    const uploaded = await measure(() => client.files.create({ file: createReadStream(file), purpose: 'batch' }));
    const created = await measure(() =>
      client.batches.create({
        input_file_id: uploaded.result.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    );
    console.log(
      `create: upload ${(uploaded.ms / 1000).toFixed(2)} s; batches.create (read from S3, convert, write records + map, CreateModelInvocationJob) ` +
        `${(created.ms / 1000).toFixed(2)} s for ${created.result.request_counts?.total} lines, peak RSS growth ${created.rssGrowthMiB.toFixed(1)} MiB ` +
        `(gateway, emulator and client share this process), longest event-loop stall ${created.maxLoopMs.toFixed(1)} ms`,
    );
  } finally {
    await gateway.close();
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'aigw-bench-input-'));
const file = join(scratch, 'input.jsonl');
writeFileSync(file, inputFile(LINES));
console.log(
  `batch conversion benchmark: ${LINES} lines, ${(readFileSync(file).length / MiB).toFixed(1)} MiB input; ` +
    `${cpus().length} CPUs, Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
try {
  if (args.mode !== 'create') await pipeline(file);
  if (args.mode !== 'pipeline') await create(file);
} finally {
  rmSync(scratch, { recursive: true, force: true });
  console.log(
    `load average at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}
