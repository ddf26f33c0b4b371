/**
 * The optional TLS listener (`tlsPort`): the official AWS SDK reaches the emulator over HTTPS — its
 * default HTTP/2 handler and the HTTP/1.1 handler — trusting only the CA the emulator generated, and
 * sends a Bedrock API key there. Without that CA the handshake is refused.
 */
import { readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { BedrockClient, ListFoundationModelsCommand } from '@aws-sdk/client-bedrock';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../src/index.js';

const API_KEY = 'ABSKRW11bGF0b3JEZW1vS2V5';
const SONNET = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const CA_FILE = join(tmpdir(), `aigw-emulator-ca-${process.pid}.pem`);

let emu: RunningEmulator;
let tlsUrl: string;
let ca: string;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, tlsPort: 0, tlsCaFile: CA_FILE });
  if (!emu.tls) throw new Error('no TLS listener');
  tlsUrl = emu.tls.url;
  ca = emu.tls.caCertificate;
});

afterAll(async () => {
  await emu.close();
  await rm(CA_FILE, { force: true });
});

const converse = (text: string) =>
  new ConverseCommand({ modelId: SONNET, messages: [{ role: 'user', content: [{ text }] }] });

describe('HTTPS listener', () => {
  it('serves the same API on both ports and writes the CA it made to tlsCaFile', async () => {
    expect(tlsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.tls?.port).not.toBe(emu.port);
    expect(await readFile(CA_FILE, 'utf8')).toBe(ca);
  });

  it('the SDK over HTTP/1.1 with an agent trusting the CA sends a Bedrock API key', async () => {
    const client = new BedrockRuntimeClient({
      endpoint: tlsUrl,
      region: 'us-east-1',
      token: { token: API_KEY },
      authSchemePreference: ['httpBearerAuth'],
      requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ ca }) }),
      maxAttempts: 1,
    });
    try {
      const out = await client.send(converse('over tls'));
      expect(out.output?.message?.content?.[0]?.text).toBe('Echo: over tls');
    } finally {
      client.destroy();
    }
  });

  it('without the CA the client refuses the certificate', async () => {
    const client = new BedrockRuntimeClient({
      endpoint: tlsUrl,
      region: 'us-east-1',
      token: { token: API_KEY },
      authSchemePreference: ['httpBearerAuth'],
      requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent() }),
      maxAttempts: 1,
    });
    try {
      await expect(client.send(converse('x'))).rejects.toMatchObject({
        code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/),
      });
    } finally {
      client.destroy();
    }
  });

  it('the default HTTP/2 handlers of the runtime and control-plane clients work once the CA is trusted', async () => {
    // What NODE_EXTRA_CA_CERTS=<tlsCaFile> does for a whole process, done here for this test process.
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), ca]);
    const runtime = new BedrockRuntimeClient({
      endpoint: tlsUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      maxAttempts: 1,
    });
    const control = new BedrockClient({
      endpoint: tlsUrl,
      region: 'us-east-1',
      token: { token: API_KEY },
      authSchemePreference: ['httpBearerAuth'],
      maxAttempts: 1,
    });
    try {
      const out = await runtime.send(converse('h2 over tls'));
      expect(out.output?.message?.content?.[0]?.text).toBe('Echo: h2 over tls');
      const models = await control.send(new ListFoundationModelsCommand({ byOutputModality: 'EMBEDDING' }));
      expect(models.modelSummaries?.length).toBe(5);
    } finally {
      runtime.destroy();
      control.destroy();
    }
    const stats = (await (await fetch(`${emu.url}/_emulator/stats`)).json()) as {
      operations: Record<string, number>;
    };
    expect(stats.operations.Converse).toBeGreaterThanOrEqual(2);
  });

  it('plain HTTP, garbage and abandoned handshakes on the TLS port leave it serving', async () => {
    const port = emu.tls?.port ?? 0;
    // Each client writes its bytes, waits a moment for the server to react, then goes away.
    const poke = (bytes: string) =>
      new Promise<void>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write(bytes);
          setTimeout(() => socket.destroy(), 50);
        });
        socket.on('error', () => {});
        socket.on('close', () => resolve());
      });
    await poke('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await poke('\x16\x03\x01\x00\x05hello');
    const abandoned = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
    await new Promise<void>((resolve) => abandoned.once('secureConnect', () => resolve()));
    abandoned.destroy();
    const res = await new Promise<number>((resolve, reject) => {
      https
        .get(`${tlsUrl}/_emulator/health`, { ca }, (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        })
        .on('error', reject);
    });
    expect(res).toBe(200);
  });
});
