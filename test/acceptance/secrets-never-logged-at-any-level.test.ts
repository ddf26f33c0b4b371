/**
 * Acceptance: no log line of `aigw serve` holds a secret, at any level, on any surface.
 *
 * The built CLI runs once per level (trace, debug, info, warn, error) against `aigw emulator`, with
 * manifests holding the emulator's AWS secret key and a Bedrock API key. Each run drives every surface
 * with the caller's token in `Authorization` (and in `x-api-key`, a cookie and a query parameter, as
 * careless clients send them): chat, a chat stream, embeddings, image generations, a multipart image
 * edit (whose parser logs its options, request headers included, at trace), model listing and lookup,
 * a wrong key, and failures (bad JSON, unknown model, unknown path, an upstream failure). Then the
 * process output is searched for every secret, raw and base64.
 */
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCli,
  EMU_BEDROCK_API_KEY,
  EMU_SECRET_ACCESS_KEY,
  type Emulator,
  makeConfigDir,
  removeCliBuild,
  removeDir,
  startEmulatorProcess,
  startGatewayProcess,
} from './gateway-harness.js';
import { accountsYaml, apiKeysYaml, KEYS, MODELS, modelsYaml } from './gateway-manifests.js';

const WRONG_KEY = 'sk-wrong-caller-key-never-logged-4f3e2d1c';
const COOKIE = 'aigw_session=cookie-secret-never-logged-9a8b7c';
const SECRETS = [...Object.values(KEYS), WRONG_KEY, COOKIE, EMU_SECRET_ACCESS_KEY, EMU_BEDROCK_API_KEY];
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
const CANVAS = 'keys/amazon-nova-canvas-v1-0';

const canvasModel = `apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: amazon-nova-canvas-v1-0, namespace: acc }
spec:
  account: keys
  modelId: amazon.nova-canvas-v1:0
`;

function leaksIn(text: string): string[] {
  return SECRETS.filter((s) =>
    [s, Buffer.from(s).toString('base64'), Buffer.from(s).toString('base64url')].some((form) => text.includes(form)),
  );
}

/** A solid-colour RGB PNG (the smallest valid image an edit accepts). */
function solidPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x80)]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', pixels),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** An api-key Secret reusing alice's token: the whole config is refused at start (a fatal log line). */
const duplicateToken = `apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: copy-of-alice, namespace: acc }
stringData: { token: "${KEYS.alice}", subject: "user:copy@example.com" }
`;

let emu: Emulator;
let dir: string;
let brokenDir: string;
beforeAll(async () => {
  buildCli();
  emu = await startEmulatorProcess();
  dir = await makeConfigDir({
    'accounts.yaml': accountsYaml(emu.url),
    'models.yaml': `${modelsYaml()}---\n${canvasModel}`,
    'keys.yaml': apiKeysYaml(),
  });
  brokenDir = await makeConfigDir({
    'accounts.yaml': accountsYaml(emu.url),
    'models.yaml': modelsYaml(),
    'keys.yaml': `${apiKeysYaml()}---\n${duplicateToken}`,
  });
}, 60_000);

afterAll(async () => {
  await emu?.stop();
  await removeDir(dir);
  await removeDir(brokenDir);
  await removeCliBuild();
});

/** Drives every surface; returns the statuses seen (so the test can check each path ran). */
async function driveEverySurface(base: string): Promise<Record<string, number>> {
  const key = KEYS.alice;
  const headers = {
    authorization: `Bearer ${key}`,
    'x-api-key': key,
    cookie: COOKIE,
    'content-type': 'application/json',
  };
  const post = (path: string, body: unknown, h: Record<string, string> = headers) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: h,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const statuses: Record<string, number> = {};
  const record = async (name: string, res: Promise<Response>) => {
    const r = await res;
    await r.text();
    statuses[name] = r.status;
  };
  const messages = [{ role: 'user', content: 'hello' }];
  await record('chat', post('/v1/chat/completions', { model: MODELS.nova, messages }));
  await record('chat via assumed role', post('/v1/chat/completions', { model: MODELS.roleNova, messages }));
  await record('chat via Bedrock API key', post('/v1/chat/completions', { model: MODELS.bearerNova, messages }));
  await record('stream', post('/v1/chat/completions', { model: MODELS.nova, messages, stream: true }));
  await record('embeddings', post('/v1/embeddings', { model: MODELS.embed, input: 'hello' }));
  await record('images generations', post('/v1/images/generations', { model: CANVAS, prompt: 'a red square' }));
  const form = new FormData();
  form.set('model', CANVAS);
  form.set('prompt', 'make it blue');
  form.set('image', new Blob([solidPng(512, 512)], { type: 'image/png' }), 'square.png');
  await record(
    'images edits',
    fetch(`${base}/v1/images/edits?api_key=${key}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, cookie: COOKIE },
      body: form,
    }),
  );
  await record('models', fetch(`${base}/v1/models`, { headers }));
  await record('model', fetch(`${base}/v1/models/${MODELS.nova}`, { headers }));
  await record(
    'bad auth',
    post(
      '/v1/chat/completions',
      { model: MODELS.nova, messages },
      { ...headers, authorization: `Bearer ${WRONG_KEY}` },
    ),
  );
  await record('bad JSON', post('/v1/chat/completions', '{"model":'));
  await record('unknown model', post('/v1/chat/completions', { model: 'keys/nope', messages }));
  await record('unknown path', fetch(`${base}/v1/nothing-here?token=${key}`, { headers }));
  // An upstream failure that is logged at warn (after the gateway's retries).
  await emu.fault({ type: 'error', status: 500, operation: 'Converse' });
  await record('upstream failure', post('/v1/chat/completions', { model: MODELS.nova, messages }));
  await emu.clearFaults();
  return statuses;
}

describe('secrets never reach a log', () => {
  it.each(LEVELS)(
    'at --log-level %s, on every surface',
    async (level) => {
      const gw = await startGatewayProcess(dir, { args: ['--log-level', level] });
      let statuses: Record<string, number>;
      try {
        statuses = await driveEverySurface(gw.origin);
      } finally {
        gw.child.kill('SIGTERM');
        await gw.exited;
      }
      // A config refused at start is reported on stderr whatever the level, so every level writes at least that.
      const refused = await startGatewayProcess(brokenDir, { args: ['--log-level', level] }).then(
        () => 'started',
        (err: Error) => err.message,
      );
      expect(refused).toMatch(/config rejected/);
      const output = `${gw.output()}\n${refused}`;
      expect(statuses.chat).toBe(200);
      expect(statuses.stream).toBe(200);
      expect(statuses.embeddings).toBe(200);
      expect(statuses['images generations']).toBe(200);
      expect(statuses['images edits']).toBeLessThan(500);
      expect(statuses['bad auth']).toBe(401);
      expect(statuses['unknown model']).toBe(404);
      expect(statuses['upstream failure']).toBeGreaterThanOrEqual(500);
      expect(leaksIn(output)).toEqual([]);
      // Each level wrote something (log lines, or the start refusal), so the search above had lines to search.
      expect(output).toMatch(/"level":|^aigw: /m);
      if (level === 'trace') {
        // The line that once carried the caller's Authorization header is still written, redacted.
        expect(output).toContain('Providing options to busboy');
        expect(output).toContain('[Redacted]');
      }
    },
    60_000,
  );

  it('nor does the emulator that served all of the above', () => {
    const output = emu.output();
    expect(output).toMatch(/listening on/);
    expect(leaksIn(output)).toEqual([]);
  });
});
