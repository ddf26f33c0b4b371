/**
 * Image edits under load: how fast the gateway's image workers decode, and whether health probes and
 * another caller's requests stay fast meanwhile. Starts `aigw emulator` and `aigw serve` from dist/ and:
 * 1. probes /healthz and sends chat requests with nothing else running (the baseline);
 * 2. repeats the probes while `--clients` loops send 2048x2048 edits with a transparent half (the largest
 *    input Nova Canvas takes; each one runs its full pixel job) and 8000x8000 fully transparent PNGs
 *    (refused from the header).
 * The large edits ask for a `size` other than the source's, so after the pixel job they are refused with a
 * 400 instead of going to the emulator: the figures are the gateway's own work, not the emulator's.
 *
 *   node dist/bench/image-edits.js [--seconds 20] [--clients 4]
 */
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { crc32, createDeflate } from 'node:zlib';
import { freePort, httpOk, type Managed, startProcess } from './lib/processes.js';

const AIGW = join(dirname(fileURLToPath(import.meta.url)), '..', 'gateway', 'src', 'cli', 'aigw.js');
const API_KEY = 'sk-bench-images-0000000000';

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** An RGBA PNG whose left `transparentWidth` columns are transparent, deflated row by row. */
async function png(width: number, height: number, transparentWidth: number): Promise<Buffer> {
  const row = Buffer.alloc(1 + width * 4);
  row.fill(0xff, 1 + transparentWidth * 4);
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (d: Buffer) => parts.push(d));
  const ended = once(deflate, 'end');
  for (let y = 0; y < height; y++) if (!deflate.write(row)) await once(deflate, 'drain');
  deflate.end();
  await ended;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.concat(parts)),
    chunk('IEND', new Uint8Array()),
  ]);
}

function writeConfig(emulatorUrl: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-images-'));
  writeFileSync(
    join(dir, 'bench.yaml'),
    `apiVersion: v1
kind: Secret
metadata: { name: keys, namespace: default }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY }
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
  region: us-east-1
  endpoint: ${emulatorUrl}
  stsEndpoint: ${emulatorUrl}
  auth: { type: accessKey, accessKey: { secretRef: { name: keys } } }
  collaborators: [ { subject: "team:bench", role: User } ]
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova-canvas, namespace: default }
spec: { account: bench, modelId: "amazon.nova-canvas-v1:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova-lite, namespace: default }
spec: { account: bench, modelId: "amazon.nova-lite-v1:0" }
`,
  );
  return dir;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(1);
  return `${s.length} | ${f(quantile(s, 0.5))} | ${f(quantile(s, 0.99))} | ${f(s[s.length - 1] ?? Number.NaN)}`;
}

async function timed(fn: () => Promise<Response>): Promise<{ ms: number; status: number }> {
  const t = performance.now();
  const res = await fn();
  await res.arrayBuffer();
  return { ms: performance.now() - t, status: res.status };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string' }, clients: { type: 'string' } } });
  const seconds = Number(values.seconds ?? 20);
  const clients = Number(values.clients ?? 4);
  const managed: Managed[] = [];
  try {
    const emuPort = await freePort();
    const emulatorUrl = `http://127.0.0.1:${emuPort}`;
    managed.push(
      await startProcess('emulator', process.execPath, [AIGW, 'emulator', '--port', String(emuPort)], () =>
        httpOk(`${emulatorUrl}/_emulator/health`),
      ),
    );
    const port = await freePort();
    const adminPort = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const admin = `http://127.0.0.1:${adminPort}`;
    const args = ['serve', '--config', writeConfig(emulatorUrl), '--host', '127.0.0.1'];
    args.push('--port', String(port), '--admin-port', String(adminPort));
    managed.push(
      await startProcess('aigw', process.execPath, [AIGW, ...args], () => httpOk(`${admin}/readyz`), {
        AIGW_LOG_LEVEL: 'warn',
      }),
    );

    const large = await png(2048, 2048, 1024);
    const hostile = await png(8000, 8000, 8000);
    const headers = { authorization: `Bearer ${API_KEY}` };
    const edit = (image: Buffer, size?: string) => () => {
      const form = new FormData();
      form.set('model', 'bench/nova-canvas');
      form.set('prompt', 'a lake');
      if (size) form.set('size', size);
      form.set('image', new Blob([new Uint8Array(image)], { type: 'image/png' }), 'image.png');
      return fetch(`${base}/v1/images/edits`, { method: 'POST', headers, body: form });
    };
    const chat = () =>
      fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'bench/nova-lite', messages: [{ role: 'user', content: 'hi' }], max_tokens: 16 }),
      });
    const health = () => fetch(`${admin}/healthz`);

    async function probes(untilMs: number): Promise<{ health: number[]; chat: number[] }> {
      const out = { health: [] as number[], chat: [] as number[] };
      while (Date.now() < untilMs) {
        out.health.push((await timed(health)).ms);
        out.chat.push((await timed(chat)).ms);
        await new Promise((r) => setTimeout(r, 50));
      }
      return out;
    }

    const quiet = await probes(Date.now() + Math.min(5, seconds) * 1000);

    const stopAt = Date.now() + seconds * 1000;
    const largeMs: number[] = [];
    const hostileMs: number[] = [];
    const statuses = new Map<number, number>();
    const loops = Array.from({ length: clients }, async (_, i) => {
      while (Date.now() < stopAt) {
        const isHostile = i % 2 === 1;
        const r = await timed(isHostile ? edit(hostile) : edit(large, '1024x1024'));
        (isHostile ? hostileMs : largeMs).push(r.ms);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    });
    const busy = await probes(stopAt);
    await Promise.all(loops);

    const lines = [
      `clients ${clients} (half large edits, half hostile), ${seconds} s; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
      '',
      '| measurement | n | p50 ms | p99 ms | max ms |',
      '| --- | --- | --- | --- | --- |',
      `| /healthz, idle | ${summary(quiet.health)} |`,
      `| /healthz, during edits | ${summary(busy.health)} |`,
      `| chat (another caller), idle | ${summary(quiet.chat)} |`,
      `| chat (another caller), during edits | ${summary(busy.chat)} |`,
      `| 2048x2048 edit with its pixel job | ${summary(largeMs)} |`,
      `| 8000x8000 hostile upload (400) | ${summary(hostileMs)} |`,
      '',
      `large edits decoded: ${(largeMs.length / seconds).toFixed(2)} per second`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await Promise.all(managed.map((m) => m.stop()));
  }
}

await main();
