import { connect } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ConfigDir, DEMO_KEY, makeConfigDir } from '../../../test/helpers/config-dir.js';
import { FakeUpstream } from '../../../test/helpers/fake-upstream.js';
import { ManifestDirSource } from '../config/index.js';
import { type RunningGateway, startGateway } from './index.js';

let config: ConfigDir;
let gateway: RunningGateway;

beforeAll(async () => {
  config = await makeConfigDir();
  gateway = await startGateway({
    source: new ManifestDirSource(config.dir),
    port: 0,
    adminPort: 0,
    upstream: new FakeUpstream(),
    logger: pino({ level: 'silent' }),
    mediaFetcher: null,
    server: { requestTimeoutMs: 1_000 },
    watch: false,
  });
});
afterAll(async () => {
  await gateway?.close();
  await config?.remove();
});

/** Writes `head` and then stalls; resolves with what the server sent once it closes. */
function stall(head: string): Promise<{ text: string; ms: number }> {
  const started = Date.now();
  return new Promise((res) => {
    const sock = connect(Number(new URL(gateway.url).port), '127.0.0.1');
    let text = '';
    sock.on('data', (d: Buffer) => {
      text += d.toString();
    });
    sock.on('close', () => res({ text, ms: Date.now() - started }));
    sock.on('error', () => undefined);
    sock.write(head);
  });
}

it('answers 408 and closes a connection whose body stalls', async () => {
  // Headers promise 100 bytes; 10 arrive and then nothing, like a client that stalls or trickles.
  const r = await stall(
    `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${DEMO_KEY}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"model":"`,
  );
  expect(r.text).toMatch(/^HTTP\/1\.1 408/);
  expect(r.text).toContain('"type":"invalid_request_error"');
  expect(r.ms).toBeLessThan(5_000);
}, 10_000);

it('answers 408 to headers that never finish', async () => {
  const r = await stall('GET /v1/models HTTP/1.1\r\nhost: x\r\nx-slow: a');
  expect(r.text).toMatch(/^HTTP\/1\.1 408/);
  expect(r.ms).toBeLessThan(5_000);
}, 10_000);

it('still serves a normal request', async () => {
  const r = await fetch(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${DEMO_KEY}` } });
  expect(r.status).toBe(200);
});
