/**
 * Image edits cannot stall the gateway: the built `aigw serve` (its image worker entry loaded from dist/)
 * in front of the emulator, driven by the official openai SDK.
 * - A hostile PNG (8000x8000, fully transparent, a few hundred KB) is refused from its header with a 400
 *   before any pixel is decoded.
 * - While large legitimate edits are being decoded, `/healthz` and another caller's request are answered.
 * - A full image queue answers 503 `server_overloaded` with `Retry-After`, at once.
 * - The gateway's own pixel cap (`AIGW_IMAGE_WORK_MAX_PIXELS`) is enforced from the header.
 */
import { once } from 'node:events';
import { crc32, createDeflate } from 'node:zlib';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorProcess, spawnEmulator } from '../acceptance/emulator-harness.js';
import { type ConfigDir, DEMO_KEY, makeConfigDir, NOVA_LITE } from '../helpers/config-dir.js';
import { type ChildGateway, spawnGateway } from '../helpers/stack.js';

const NOVA_CANVAS = 'demo/amazon-nova-canvas-v1-0';

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * A valid RGBA PNG whose left `transparentWidth` columns are fully transparent and the rest opaque white,
 * deflated row by row so that even 8000x8000 (256 MB of pixels) is built without holding the pixels.
 */
async function pngWithTransparency(width: number, height: number, transparentWidth = width): Promise<Buffer> {
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
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.concat(parts)),
    chunk('IEND', new Uint8Array()),
  ]);
}

async function metric(gw: ChildGateway, name: string): Promise<number> {
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function client(gw: ChildGateway): OpenAI {
  return new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: DEMO_KEY, maxRetries: 0, timeout: 60_000 });
}

async function editWith(gw: ChildGateway, png: Buffer, prompt = 'a calm lake') {
  return client(gw).images.edit({
    model: NOVA_CANVAS,
    image: await toFile(png, 'photo.png', { type: 'image/png' }),
    prompt,
  });
}

async function apiError(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}

let emulator: EmulatorProcess;
let config: ConfigDir;
const gateways: ChildGateway[] = [];
// 2048x2048 is the largest input Nova Canvas takes; decoding it, building the mask and re-encoding the
// source is real work (about a second), which is what must never hold up anyone else.
let large: Buffer;
let small: Buffer;

async function gateway(env: Record<string, string>): Promise<ChildGateway> {
  const gw = await spawnGateway(['--config', config.dir], env);
  gateways.push(gw);
  return gw;
}

beforeAll(async () => {
  emulator = await spawnEmulator();
  config = await makeConfigDir({ emulatorUrl: emulator.url });
  large = await pngWithTransparency(2048, 2048, 1024);
  small = await pngWithTransparency(320, 320, 160);
});

afterAll(async () => {
  for (const gw of gateways) gw.kill('SIGKILL');
  await Promise.all(gateways.map((gw) => gw.exited));
  await emulator?.close();
  await config?.remove();
});

describe('a hostile image', () => {
  it('an 8000x8000 transparent PNG is refused from its header with a 400, and nothing is decoded', async () => {
    const gw = await gateway({ AIGW_IMAGE_WORK_THREADS: '1' });
    const hostile = await pngWithTransparency(8000, 8000);
    expect(hostile.byteLength).toBeLessThan(1024 * 1024);
    const err = await apiError(editWith(gw, hostile));
    expect(err.status).toBe(400);
    expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_value', param: 'image' });
    expect(err.message).toContain('8000x8000');
    expect(err.message).toContain('4096');
    // No pixel job was ever queued: the refusal came from the header alone.
    expect(await metric(gw, 'aigw_image_jobs_total')).toBe(0);
    expect((await fetch(`${gw.adminUrl}/healthz`)).status).toBe(200);
  }, 60_000);
});

describe('large edits in progress', () => {
  it('do not hold up /healthz or another caller while they are decoded', async () => {
    const gw = await gateway({ AIGW_IMAGE_WORK_THREADS: '1', AIGW_IMAGE_WORK_QUEUE: '8' });
    let finished = 0;
    const edits = Array.from({ length: 2 }, () =>
      editWith(gw, large).then((res) => {
        finished++;
        return res;
      }),
    );
    await until(async () => (await metric(gw, 'aigw_image_jobs_pending')) >= 1, 'the first decode to start');

    const health = await fetch(`${gw.adminUrl}/healthz`);
    expect(health.status).toBe(200);
    const other = await client(gw).chat.completions.create({
      model: NOVA_LITE,
      messages: [{ role: 'user', content: 'Are you there?' }],
    });
    expect(other.choices[0]?.message.content).toBeTruthy();
    // Both were answered while image work was still running or waiting.
    expect(await metric(gw, 'aigw_image_jobs_pending')).toBeGreaterThanOrEqual(1);
    expect(finished).toBeLessThan(edits.length);

    const results = await Promise.all(edits);
    for (const res of results) expect(res.data?.[0]?.b64_json).toBeTruthy();
    expect(await metric(gw, 'aigw_image_jobs_pending')).toBe(0);
  }, 120_000);
});

describe('a full image queue', () => {
  it('answers 503 server_overloaded with Retry-After at once, and serves again when free', async () => {
    const gw = await gateway({
      AIGW_IMAGE_WORK_THREADS: '1',
      AIGW_IMAGE_WORK_QUEUE: '0',
      AIGW_IMAGE_WORK_RETRY_AFTER_SECONDS: '2',
    });
    const running = editWith(gw, large);
    await until(async () => (await metric(gw, 'aigw_image_jobs_pending')) === 1, 'the decode to start');

    const err = await apiError(editWith(gw, small));
    expect(err.status).toBe(503);
    expect(err.error).toMatchObject({ type: 'server_error', code: 'server_overloaded' });
    expect(err.headers?.get('retry-after')).toBe('2');
    expect(err.headers?.get('x-request-id')).toBeTruthy();

    await expect(running).resolves.toMatchObject({ data: [expect.objectContaining({ b64_json: expect.any(String) })] });
    const again = await editWith(gw, small);
    expect(again.data).toHaveLength(1);
    expect(await metric(gw, 'aigw_image_jobs_total{outcome="refused"}')).toBe(1);
  }, 120_000);
});

describe("the gateway's pixel cap", () => {
  it('refuses an image above AIGW_IMAGE_WORK_MAX_PIXELS from its header and serves one below', async () => {
    const gw = await gateway({ AIGW_IMAGE_WORK_MAX_PIXELS: '65536' });
    const err = await apiError(editWith(gw, await pngWithTransparency(512, 512, 256)));
    expect(err.status).toBe(400);
    expect(err.error).toMatchObject({ code: 'invalid_value', param: 'image' });
    expect(err.message).toContain('at most 65,536 pixels');
    expect(await metric(gw, 'aigw_image_jobs_total')).toBe(0);

    const ok = await editWith(gw, await pngWithTransparency(256, 256, 128));
    expect(ok.data).toHaveLength(1);
    expect(await metric(gw, 'aigw_image_jobs_total{outcome="done"}')).toBe(1);
  }, 60_000);
});
