/**
 * `make bench`: gateway overhead and throughput against baselines run in the same process tree at the same time.
 *
 * Targets, all in front of one Bedrock emulator:
 *   direct   — SigV4-signed Converse requests straight to the emulator (the reference latency)
 *   proxy    — the same signed requests through a bare pass-through proxy (the floor for any HTTP hop)
 *   aigw     — OpenAI requests through `aigw serve` (caller API-key auth + SigV4 signing + translation on)
 *   portkey  — OpenAI requests through the Portkey gateway from npm, pointed at the emulator by custom host
 *
 * Rounds are interleaved (every target once per round, order rotated) and each figure is the median over rounds.
 * After the rounds, a streams-at-scale run holds --streams concurrent streams open through `aigw serve` (the
 * emulator's inter-token delay keeps each one alive for a few seconds) and reports the gateway's resident memory.
 *
 * Options: --rounds N (3) --seconds S per run (8) --rate R req/s for the fixed-rate run (500) --no-portkey
 *          --streams N concurrent streams (1000; 0 skips) --stream-seconds S (12)
 *          --priority=P: run the benchmark and its servers at this nice value (e.g. --priority=-10 as root), so other work
 *          on a shared machine disturbs the measurement less
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { type LoadResult, type RequestSpec, runLoad } from './lib/load.js';
import { ensurePortkey } from './lib/portkey.js';
import { canBind, freePort, httpOk, type Managed, startProcess } from './lib/processes.js';
import { median, summarise } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '8' },
    rate: { type: 'string', default: '500' },
    'no-portkey': { type: 'boolean', default: false },
    streams: { type: 'string', default: '1000' },
    'stream-seconds': { type: 'string', default: '12' },
    priority: { type: 'string' },
    out: { type: 'string', default: 'bench/results/latest.json' },
  },
});
const ROUNDS = Number(args.rounds);
const SECONDS = Number(args.seconds);
const RATE = Number(args.rate);
const STREAMS = Number(args.streams);
const STREAM_SECONDS = Number(args['stream-seconds']);
// The emulator answers the bench prompt in five content deltas; a 1 s gap between them keeps each stream
// open about four seconds, so --streams workers hold that many streams open at once.
const STREAM_TOKEN_GAP_MS = 1000;

const ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const REGION = 'us-east-1';
const MODEL_ID = 'anthropic.claude-3-haiku-20240307-v1:0';
const SERVED = 'bench/anthropic-claude-3-haiku-20240307-v1-0';
const API_KEY = 'sk-aigw-bench-000000000000000000';
const PROMPT = 'Summarise the benefits of connection pooling in one sentence.';
const AIGW = 'dist/gateway/src/cli/aigw.js';

type Target = 'direct' | 'proxy' | 'aigw' | 'portkey';
type Scenario = 'chat-c1' | 'chat-rate' | 'chat-c32' | 'stream-c1';

function writeGatewayConfig(emulatorUrl: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-'));
  writeFileSync(
    join(dir, 'bench.yaml'),
    `apiVersion: v1
kind: Secret
metadata: { name: bench-aws-keys, namespace: default }
stringData: { AWS_ACCESS_KEY_ID: ${ACCESS_KEY}, AWS_SECRET_ACCESS_KEY: ${SECRET_KEY} }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: bench-key, namespace: default }
stringData: { token: ${API_KEY}, subject: "user:bench@example.com", teams: bench }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: bench, namespace: default }
spec:
  provider: aws-bedrock
  region: ${REGION}
  endpoint: ${emulatorUrl}
  stsEndpoint: ${emulatorUrl}
  auth: { type: accessKey, accessKey: { secretRef: { name: bench-aws-keys } } }
  collaborators: [ { subject: "team:bench", role: User } ]
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: anthropic-claude-3-haiku-20240307-v1-0, namespace: default }
spec: { account: bench, modelId: "${MODEL_ID}" }
`,
  );
  return dir;
}

async function signedConverse(origin: string, stream: boolean): Promise<RequestSpec> {
  const url = new URL(origin);
  const path = `/model/${encodeURIComponent(MODEL_ID)}/${stream ? 'converse-stream' : 'converse'}`;
  const body = JSON.stringify({
    messages: [{ role: 'user', content: [{ text: PROMPT }] }],
    inferenceConfig: { maxTokens: 64 },
  });
  const signer = new SignatureV4({
    service: 'bedrock',
    region: REGION,
    sha256: Sha256,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path,
    headers: { host: url.host, 'content-type': 'application/json' },
    body,
  });
  return { origin, path, headers: signed.headers as Record<string, string>, body };
}

function openaiBody(stream: boolean, model: string): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: PROMPT }],
    max_tokens: 64,
    ...(stream ? { stream: true } : {}),
  });
}

// First-token probes: a Converse event stream carries its first text in a contentBlockDelta frame; an SSE stream
// carries it in the first `data:` line whose delta has content. Both are checked on raw bytes, without parsing.
const CONTENT_BLOCK_DELTA = Buffer.from('contentBlockDelta');
const SSE_CONTENT = Buffer.from('"content":"');
const probeEventStream = (chunk: Buffer): boolean => chunk.includes(CONTENT_BLOCK_DELTA);
const probeSse = (chunk: Buffer): boolean => {
  let at = chunk.indexOf(SSE_CONTENT);
  while (at >= 0) {
    if (chunk[at + SSE_CONTENT.length] !== 0x22) return true; // a non-empty content string
    at = chunk.indexOf(SSE_CONTENT, at + 1);
  }
  return false;
};

async function main(): Promise<void> {
  if (args.priority !== undefined) {
    // Children inherit the nice value at spawn, so setting it first covers every server the bench starts.
    try {
      setPriority(0, Number(args.priority));
    } catch (error) {
      process.stderr.write(`--priority ignored: ${(error as Error).message}\n`);
    }
  }
  // Other work on the machine moves the tails; the report says how busy it was.
  const loadAtStart = loadavg();
  const managed: Managed[] = [];
  const stopAll = () => Promise.all(managed.map((m) => m.stop()));
  process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    // Portkey signs for the custom host's hostname without its port but sends the port in Host, so its SigV4
    // only verifies when the emulator sits on the scheme's default port. Use port 80 when this user may bind it.
    const emuPort = (await canBind(80)) ? 80 : await freePort();
    const emulatorUrl = emuPort === 80 ? 'http://127.0.0.1' : `http://127.0.0.1:${emuPort}`;
    const emulator = await startProcess(
      'emulator',
      process.execPath,
      [AIGW, 'emulator', '--port', String(emuPort)],
      () => httpOk(`${emulatorUrl}/_emulator/health`),
    );
    managed.push(emulator);

    const gwPort = await freePort();
    const adminPort = await freePort();
    const configDir = writeGatewayConfig(emulatorUrl);
    const gateway = await startProcess(
      'aigw',
      process.execPath,
      [
        AIGW,
        'serve',
        '--config',
        configDir,
        '--port',
        String(gwPort),
        '--admin-port',
        String(adminPort),
        '--host',
        '127.0.0.1',
      ],
      () => httpOk(`http://127.0.0.1:${adminPort}/readyz`),
      { AIGW_LOG_LEVEL: 'warn' },
    );
    managed.push(gateway);

    const proxyPort = await freePort();
    const proxy = await startProcess(
      'proxy',
      process.execPath,
      ['dist/bench/passthrough-proxy.js', '--port', String(proxyPort), '--target', emulatorUrl],
      () => httpOk(`http://127.0.0.1:${proxyPort}/_emulator/health`),
    );
    managed.push(proxy);

    let portkey: Managed | undefined;
    const portkeyPort = await freePort();
    if (!args['no-portkey'] && emuPort !== 80) {
      process.stderr.write('portkey skipped: the emulator could not take port 80 (see the comment above)\n');
    } else if (!args['no-portkey']) {
      const entry = await ensurePortkey();
      portkey = await startProcess(
        'portkey',
        process.execPath,
        [entry, `--port=${portkeyPort}`, '--headless'],
        () => httpOk(`http://127.0.0.1:${portkeyPort}/`),
        { NODE_ENV: 'production' },
      );
      managed.push(portkey);
    }

    const targets: Target[] = ['direct', 'proxy', 'aigw', ...(portkey ? (['portkey'] as const) : [])];
    const specFor = async (target: Target, stream: boolean): Promise<RequestSpec> => {
      switch (target) {
        case 'direct':
          return signedConverse(emulatorUrl, stream);
        case 'proxy': {
          // Signed for the emulator's host: the proxy forwards the Host header unchanged.
          const spec = await signedConverse(emulatorUrl, stream);
          return { ...spec, origin: `http://127.0.0.1:${proxyPort}` };
        }
        case 'aigw':
          return {
            origin: `http://127.0.0.1:${gwPort}`,
            path: '/v1/chat/completions',
            headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
            body: openaiBody(stream, SERVED),
          };
        case 'portkey':
          return {
            origin: `http://127.0.0.1:${portkeyPort}`,
            path: '/v1/chat/completions',
            headers: {
              'content-type': 'application/json',
              'x-portkey-provider': 'bedrock',
              'x-portkey-aws-access-key-id': ACCESS_KEY,
              'x-portkey-aws-secret-access-key': SECRET_KEY,
              'x-portkey-aws-region': REGION,
              'x-portkey-custom-host': emulatorUrl,
            },
            body: openaiBody(stream, MODEL_ID),
          };
      }
    };

    const scenarios: Record<Scenario, { stream: boolean; concurrency: number; rate?: number; title: string }> = {
      'chat-c1': { stream: false, concurrency: 1, title: 'chat, concurrency 1' },
      'chat-rate': { stream: false, concurrency: 64, rate: RATE, title: `chat, fixed ${RATE} req/s` },
      'chat-c32': { stream: false, concurrency: 32, title: 'chat, concurrency 32 (throughput)' },
      'stream-c1': { stream: true, concurrency: 1, title: 'streaming chat, concurrency 1' },
    };

    // Sanity: every target answers 200 before we measure it.
    for (const t of targets) {
      const check = await runLoad({ spec: await specFor(t, false), concurrency: 1, durationMs: 300 });
      if (check.errors > 0) throw new Error(`${t} failed its sanity request: ${check.firstError}`);
    }

    const raw: Record<string, Record<string, LoadResult[]>> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, s] of Object.entries(scenarios)) {
        const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
        for (const t of order) {
          const spec = await specFor(t, s.stream);
          const probe = s.stream ? (t === 'direct' || t === 'proxy' ? probeEventStream : probeSse) : undefined;
          const result = await runLoad({
            spec,
            concurrency: s.concurrency,
            durationMs: SECONDS * 1000,
            ...(s.rate ? { ratePerSec: s.rate } : {}),
            ...(probe ? { firstToken: probe } : {}),
          });
          const perTarget = raw[name] ?? {};
          raw[name] = perTarget;
          perTarget[t] = [...(perTarget[t] ?? []), result];
          process.stderr.write(
            `round ${round + 1}/${ROUNDS} ${name} ${t}: ${result.latenciesMicros.length} ok, ${result.errors} errors\n`,
          );
        }
      }
    }

    const loadAtEnd = loadavg();
    const report: Record<string, unknown> = {
      date: new Date().toISOString(),
      rounds: ROUNDS,
      secondsPerRun: SECONDS,
      cpus: cpus().length,
      loadAverage: { start: loadAtStart, end: loadAtEnd },
    };
    const lines: string[] = [];
    for (const [name, s] of Object.entries(scenarios)) {
      lines.push(`\n### ${s.title}\n`);
      lines.push(
        '| target | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | TTFT p50 ms | added TTFT p50 ms | errors |',
      );
      lines.push('|---|---|---|---|---|---|---|---|---|');
      const per = raw[name]!;
      const sums = Object.fromEntries(
        targets.map((t) => [t, per[t]!.map((r) => summarise(r.latenciesMicros, r.errors, r.seconds))]),
      );
      const ttft = Object.fromEntries(
        targets.map((t) => [t, per[t]!.map((r) => summarise(r.firstTokenMicros, 0, r.seconds).p50Ms)]),
      );
      const med = (t: Target, k: 'rps' | 'p50Ms' | 'p99Ms') => median(sums[t]!.map((x) => x[k]));
      for (const t of targets) {
        // Added latency per round against the direct run of the same round, then the median over rounds.
        const addP50 = median(sums[t]!.map((x, i) => x.p50Ms - sums.direct![i]!.p50Ms));
        const addP99 = median(sums[t]!.map((x, i) => x.p99Ms - sums.direct![i]!.p99Ms));
        const ttftP50 = s.stream ? median(ttft[t]!) : Number.NaN;
        const addTtft = s.stream ? median(ttft[t]!.map((x, i) => x - ttft.direct![i]!)) : Number.NaN;
        const errors = sums[t]!.reduce((a, x) => a + x.errors, 0);
        const f = (n: number, d = 3) => (Number.isNaN(n) ? '–' : n.toFixed(d));
        lines.push(
          `| ${t} | ${f(med(t, 'rps'), 0)} | ${f(med(t, 'p50Ms'))} | ${f(med(t, 'p99Ms'))} | ${t === 'direct' ? '–' : f(addP50)} | ${t === 'direct' ? '–' : f(addP99)} | ${f(ttftP50)} | ${t === 'direct' ? '–' : f(addTtft)} | ${errors} |`,
        );
      }
      report[name] = sums;
    }
    if (STREAMS > 0) {
      const streams = await streamsAtScale(emulatorUrl, await specFor('aigw', true), gateway, adminPort);
      report.streams = streams;
      lines.push(`\n### ${STREAMS} concurrent streams through aigw (${STREAM_SECONDS} s)\n`);
      lines.push(
        '| streams open at once (max) | streams completed | errors | TTFT p50 ms | TTFT p99 ms | stream p50 s | aigw RSS idle MiB | aigw RSS peak MiB |',
      );
      lines.push('|---|---|---|---|---|---|---|---|');
      lines.push(
        `| ${streams.maxOpen} | ${streams.completed} | ${streams.errors} | ${streams.ttftP50Ms.toFixed(1)} | ${streams.ttftP99Ms.toFixed(1)} | ${(streams.streamP50Ms / 1000).toFixed(2)} | ${streams.rssIdleMiB.toFixed(1)} | ${streams.rssPeakMiB.toFixed(1)} |`,
      );
    }
    lines.push('\n### Resident memory after the runs (MiB)\n');
    lines.push(`| ${managed.map((m) => m.name).join(' | ')} |`);
    lines.push(`|${managed.map(() => '---').join('|')}|`);
    lines.push(`| ${managed.map((m) => m.rssMiB().toFixed(1)).join(' | ')} |`);
    report.rssMiB = Object.fromEntries(managed.map((m) => [m.name, m.rssMiB()]));

    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
    lines.push(
      `\n${cpus().length} CPUs, Node ${process.version}; load average (1, 5, 15 min) at start ${load(loadAtStart)}, at end ${load(loadAtEnd)}.`,
    );
    writeFileSync(args.out, JSON.stringify(report, null, 2));
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stopAll();
  }
}

interface StreamsResult {
  streams: number;
  maxOpen: number;
  completed: number;
  errors: number;
  firstError: string | undefined;
  ttftP50Ms: number;
  ttftP99Ms: number;
  streamP50Ms: number;
  rssIdleMiB: number;
  rssPeakMiB: number;
}

/**
 * Holds STREAMS streams open through the gateway at once: the emulator spaces its content deltas by
 * STREAM_TOKEN_GAP_MS, the workers start evenly over two seconds (steady state, not one burst of connects)
 * and each starts a new stream when its last one ends. The gateway's RSS and its own in-flight gauge are
 * sampled throughout.
 */
async function streamsAtScale(
  emulatorUrl: string,
  spec: RequestSpec,
  gateway: Managed,
  adminPort: number,
): Promise<StreamsResult> {
  const setGap = async (ms: number) => {
    const res = await fetch(`${emulatorUrl}/_emulator/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latency: { interTokenDelayMs: ms } }),
    });
    if (!res.ok) throw new Error(`emulator config: HTTP ${res.status}`);
    await res.arrayBuffer();
  };
  const rssIdleMiB = gateway.rssMiB();
  let rssPeakMiB = rssIdleMiB;
  let maxOpen = 0;
  let sampling = false;
  const sampler = setInterval(() => {
    rssPeakMiB = Math.max(rssPeakMiB, gateway.rssMiB());
    if (sampling) return;
    sampling = true;
    fetch(`http://127.0.0.1:${adminPort}/metrics`)
      .then((res) => res.text())
      .then((text) => {
        const open = /^aigw_inflight_requests\{route="chat"\} (\d+)/m.exec(text);
        if (open) maxOpen = Math.max(maxOpen, Number(open[1]));
      })
      .catch(() => undefined)
      .finally(() => {
        sampling = false;
      });
  }, 250);
  await setGap(STREAM_TOKEN_GAP_MS);
  try {
    const result = await runLoad({
      spec,
      concurrency: STREAMS,
      durationMs: STREAM_SECONDS * 1000,
      rampMs: 2000,
      firstToken: probeSse,
    });
    const streams = summarise(result.latenciesMicros, result.errors, result.seconds);
    const ttft = summarise(result.firstTokenMicros, 0, result.seconds);
    process.stderr.write(`streams: ${streams.count} completed, ${result.errors} errors, ${maxOpen} open at most\n`);
    return {
      streams: STREAMS,
      maxOpen,
      completed: streams.count,
      errors: result.errors,
      firstError: result.firstError,
      ttftP50Ms: ttft.p50Ms,
      ttftP99Ms: ttft.p99Ms,
      streamP50Ms: streams.p50Ms,
      rssIdleMiB,
      rssPeakMiB,
    };
  } finally {
    clearInterval(sampler);
    await setGap(0);
  }
}

await main();
