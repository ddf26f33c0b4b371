/**
 * Black-box harness for the media acceptance suites: builds the CLI, starts `aigw emulator` and
 * `aigw serve --config DIR` as child processes on free ports, and hands out an `openai` SDK client.
 * Only public surfaces are used: the CLI, HTTP, the admin `/metrics` page and the official SDK.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import OpenAI from 'openai';
import { PNG } from 'pngjs';
import { expect } from 'vitest';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * The suites build the CLI into a private directory (same sources, same tsconfig.build.json) so that
 * another suite rebuilding `dist/` at the same moment cannot hand them half-written modules, and they
 * cannot break a process another suite runs from `dist/`. Under node_modules so packages resolve.
 */
const BUILD_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'aigw-media-acceptance');
const CLI = join(BUILD_DIR, 'gateway', 'src', 'cli', 'aigw.js');

/** The caller key every suite uses; its team is a collaborator of the `media` account. */
export const API_KEY = 'sk-media-acceptance-0123456789abcdef';

/** A valid key whose subject and teams are no collaborator of the `media` account. */
export const OUTSIDER_KEY = 'sk-media-outsider-0123456789abcdef';

/** Served names: `media/<Bedrock id with . and : replaced by ->`. */
export const M = {
  titanEmbedV1: 'media/amazon-titan-embed-text-v1',
  titanEmbedV2: 'media/amazon-titan-embed-text-v2-0',
  cohereEn: 'media/cohere-embed-english-v3',
  cohereMulti: 'media/cohere-embed-multilingual-v3',
  novaCanvas: 'media/amazon-nova-canvas-v1-0',
  titanImageV1: 'media/amazon-titan-image-generator-v1',
  titanImageV2: 'media/amazon-titan-image-generator-v2-0',
  sd3Large: 'media/stability-sd3-large-v1-0',
  sd35Large: 'media/stability-sd3-5-large-v1-0',
  imageCore: 'media/stability-stable-image-core-v1-1',
  imageUltra: 'media/stability-stable-image-ultra-v1-1',
  sdxl: 'media/stability-stable-diffusion-xl-v1',
  novaLite: 'media/amazon-nova-lite-v1-0',
  /** Titan v2 by foundation-model ARN. */
  titanEmbedArn: 'media/titan-embed-by-arn',
  /** Nova Canvas with a private price of USD 0.5 per image. */
  canvasPriced: 'media/canvas-priced',
  /** Titan v2 with a private price of USD 1,000 per million input tokens. */
  embedPriced: 'media/embed-priced',
} as const;

const MODEL_IDS = [
  'amazon.titan-embed-text-v1',
  'amazon.titan-embed-text-v2:0',
  'cohere.embed-english-v3',
  'cohere.embed-multilingual-v3',
  'amazon.nova-canvas-v1:0',
  'amazon.titan-image-generator-v1',
  'amazon.titan-image-generator-v2:0',
  'stability.sd3-large-v1:0',
  'stability.sd3-5-large-v1:0',
  'stability.stable-image-core-v1:1',
  'stability.stable-image-ultra-v1:1',
  'stability.stable-diffusion-xl-v1',
  'amazon.nova-lite-v1:0',
];

function manifests(emulatorUrl: string): string {
  const models = MODEL_IDS.map(
    (id) => `---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: ${id.replace(/[.:]/g, '-')}, namespace: media }
spec: { account: media, modelId: "${id}" }
`,
  ).join('');
  const extra = `---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: titan-embed-by-arn, namespace: media }
spec: { account: media, modelId: "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0" }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: canvas-priced, namespace: media }
spec: { account: media, modelId: "amazon.nova-canvas-v1:0", type: image, pricing: { perImage: 0.5 } }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: embed-priced, namespace: media }
spec: { account: media, modelId: "amazon.titan-embed-text-v2:0", pricing: { inputPerMillionTokens: 1000 } }
`;
  return `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: media, namespace: media }
spec:
  provider: aws-bedrock
  region: us-east-1
  endpoint: ${emulatorUrl}
  stsEndpoint: ${emulatorUrl}
  auth: { type: accessKey, accessKey: { secretRef: { name: media-keys } } }
  collaborators:
    - { subject: "team:media-testers", role: User }
---
apiVersion: v1
kind: Secret
type: Opaque
metadata: { name: media-keys, namespace: media }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: media-key, namespace: media }
stringData: { token: ${API_KEY}, subject: "user:media@example.com", teams: media-testers }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: outsider-key, namespace: media }
stringData: { token: ${OUTSIDER_KEY}, subject: "user:outsider@example.com", teams: elsewhere }
${models}${extra}`;
}

/**
 * Builds the CLI once per run of the suites. Several suite files start in parallel forks, so a
 * directory lock serialises the build and a fresh stamp lets later suites skip it.
 */
function buildOnce(): void {
  mkdirSync(BUILD_DIR, { recursive: true });
  const lock = join(BUILD_DIR, '.build.lock');
  const stamp = join(BUILD_DIR, '.build.stamp');
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) rmdirSync(lock);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    let fresh = false;
    try {
      fresh = Date.now() - statSync(stamp).mtimeMs < 15_000;
    } catch {
      fresh = false;
    }
    if (!fresh) {
      try {
        execFileSync(
          process.execPath,
          [
            join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
            '-p',
            'tsconfig.build.json',
            '--outDir',
            BUILD_DIR,
          ],
          { cwd: REPO_ROOT, stdio: 'pipe' },
        );
      } catch {
        // tsc still emits when some other file of the tree has a type error; the CLI is what counts.
      }
      writeFileSync(stamp, '');
    }
  } finally {
    rmdirSync(lock);
  }
  statSync(CLI);
}

/** Starts a CLI child process and resolves with the first stdout line matching `pattern`. */
function startProcess(args: string[], pattern: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolveStart, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`aigw ${args[0]} did not start:\n${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = out.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolveStart({ child, match });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`aigw ${args[0]} exited with ${code}:\n${out}`));
    });
  });
}

/** A running emulator + gateway pair. */
export interface MediaStack {
  /** `http://127.0.0.1:PORT/v1` */
  baseURL: string;
  /** Admin server root (`/metrics`). */
  adminURL: string;
  emulatorURL: string;
  client: OpenAI;
  close(): Promise<void>;
}

/** Starts `aigw emulator` and `aigw serve --config DIR` on free ports. */
export async function startMediaStack(): Promise<MediaStack> {
  buildOnce();
  const dir = mkdtempSync(join(tmpdir(), 'aigw-media-'));
  const children: ChildProcess[] = [];
  try {
    const emu = await startProcess(
      ['emulator', '--port', '0', '--host', '127.0.0.1'],
      /listening on (http:\/\/127\.0\.0\.1:\d+)/,
    );
    children.push(emu.child);
    const emulatorURL = emu.match[1] as string;
    writeFileSync(join(dir, 'media.yaml'), manifests(emulatorURL));
    const gw = await startProcess(
      ['serve', '--config', dir, '--port', '0', '--admin-port', '0', '--host', '127.0.0.1', '--log-level', 'info'],
      /"url":"(http:\/\/127\.0\.0\.1:\d+)","admin":"(http:\/\/127\.0\.0\.1:\d+)"/,
    );
    children.push(gw.child);
    const baseURL = `${gw.match[1]}/v1`;
    return {
      baseURL,
      adminURL: gw.match[2] as string,
      emulatorURL,
      client: new OpenAI({ baseURL, apiKey: API_KEY, maxRetries: 0, timeout: 20_000 }),
      async close() {
        await Promise.all(children.map(stopChild));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all(children.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

/** The OpenAI error body the contract promises. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** POSTs JSON (or a raw body) to the gateway and returns status, headers and parsed body. */
export async function post(
  stack: MediaStack,
  path: string,
  body: unknown,
  init: { headers?: Record<string, string>; raw?: boolean } = {},
): Promise<{ status: number; headers: Headers; json: unknown; text: string }> {
  const res = await fetch(`${stack.baseURL}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${API_KEY}`,
      ...(init.raw ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    body: init.raw ? (body as string) : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/**
 * Asserts a 4xx answer in OpenAI's error shape with an `x-request-id`, and returns the error object.
 */
export function expectOpenAIError(
  res: { status: number; headers: Headers; json: unknown; text: string },
  status: number,
): OpenAIErrorBody['error'] {
  expect(res.status, res.text.slice(0, 500)).toBe(status);
  expect(res.headers.get('x-request-id')).toBeTruthy();
  const body = res.json as OpenAIErrorBody;
  expect(body, res.text.slice(0, 500)).toMatchObject({
    error: { message: expect.any(String), type: expect.any(String) },
  });
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error.message.length).toBeGreaterThan(10);
  // Never a leaked upstream secret in what a caller sees.
  expect(res.text).not.toContain('wJalrXUtnFEMI');
  return body.error;
}

/** Decodes a base64 PNG and returns its pixels. */
export function decodePng(b64: string): PNG {
  const bytes = Buffer.from(b64, 'base64');
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return PNG.sync.read(bytes);
}

/** RGBA of one pixel. */
export function pixel(png: PNG, x: number, y: number): [number, number, number, number] {
  const i = (png.width * y + x) * 4;
  return [png.data[i] ?? 0, png.data[i + 1] ?? 0, png.data[i + 2] ?? 0, png.data[i + 3] ?? 0];
}

/** A PNG filled by `paint(x, y) → RGBA`. */
export function makePng(width: number, height: number, paint: (x: number, y: number) => number[]): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r = 0, g = 0, b = 0, a = 255] = paint(x, y);
      const i = (width * y + x) * 4;
      png.data[i] = r;
      png.data[i + 1] = g;
      png.data[i + 2] = b;
      png.data[i + 3] = a;
    }
  }
  return PNG.sync.write(png);
}

/** Reads one counter/gauge sample from the gateway's `/metrics` (0 when absent). */
export async function metricValue(stack: MediaStack, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${stack.adminURL}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelPart = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (Object.entries(labels).every(([k, v]) => labelPart.includes(`${k}="${v}"`))) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

/**
 * A PNG written chunk by chunk, for the colour types and bit depths `pngjs` cannot write (palette with
 * tRNS, 1-bit grayscale, 16-bit RGBA): the kinds of files image editors and screenshot tools produce.
 */
export function rawPng(opts: {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 8 | 16;
  /** Filter-less scanlines (without the leading filter byte). */
  row: (y: number) => Buffer;
  /** Chunks between IHDR and IDAT, e.g. PLTE and tRNS. */
  chunks?: [string, Buffer][];
}): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(opts.width, 0);
  ihdr.writeUInt32BE(opts.height, 4);
  ihdr[8] = opts.bitDepth;
  ihdr[9] = opts.colorType;
  const rows: Buffer[] = [];
  for (let y = 0; y < opts.height; y++) rows.push(Buffer.from([0]), opts.row(y));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(opts.chunks ?? []).map(([t, d]) => chunk(t, d)),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
