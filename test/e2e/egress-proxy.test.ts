/**
 * On-premises clusters reach AWS through an HTTP proxy named by HTTPS_PROXY / HTTP_PROXY / NO_PROXY.
 * `aigw serve` runs as a child process with only the proxy variables this suite sets (the machine's own
 * NO_PROXY often lists 127.0.0.1), in front of a real proxy server on loopback (the `proxy` package),
 * which records what it was asked to forward: absolute-form requests for http endpoints, CONNECT
 * tunnels for https ones (a TLS front with a loopback certificate, trusted via NODE_EXTRA_CA_CERTS).
 * Bedrock runtime, STS (an assumed role) and S3 (the Files API) calls are checked.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import OpenAI, { toFile } from 'openai';
import { createProxy } from 'proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator/src/index.js';
import { type ConfigDir, DEMO_KEY, makeConfigDir, REPO_ROOT, SONNET } from '../helpers/config-dir.js';
import { type ChildGateway, openaiClient, spawnGateway } from '../helpers/stack.js';

const TLS_DIR = join(REPO_ROOT, 'test', 'fixtures', 'tls');

interface RecordingProxy {
  readonly url: string;
  /** `METHOD target` per forwarded request or tunnel, e.g. `POST http://127.0.0.1:1234/` or `CONNECT 127.0.0.1:443`. */
  readonly seen: string[];
  close(): Promise<void>;
}

async function startRecordingProxy(): Promise<RecordingProxy> {
  const server = createProxy(createHttpServer());
  const seen: string[] = [];
  // The proxy package forwards; these listeners only record (they run alongside its own).
  server.on('request', (req) => seen.push(`${req.method} ${req.url}`));
  server.on('connect', (req) => seen.push(`CONNECT ${req.url}`));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** TLS in front of the emulator (bytes passed through unchanged, so SigV4's signed host still matches). */
async function startTlsFront(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const { port: targetPort } = new URL(target);
  const sockets = new Set<Socket>();
  const server: Server = createTlsServer(
    {
      key: readFileSync(join(TLS_DIR, 'loopback-key.pem')),
      cert: readFileSync(join(TLS_DIR, 'loopback-cert.pem')),
    },
    (inbound) => {
      const outbound = connect(Number(targetPort), '127.0.0.1');
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.on('error', () => s.destroy());
        s.on('close', () => sockets.delete(s));
      }
      inbound.pipe(outbound).pipe(inbound);
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accounts beyond the examples: one reached over https (CONNECT), one on an address NO_PROXY exempts. */
function extraAccounts(tlsUrl: string, directUrl: string): string {
  return `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: over-tls, namespace: default }
spec:
  provider: aws-bedrock
  region: us-east-1
  endpoint: ${tlsUrl}
  stsEndpoint: ${tlsUrl}
  auth:
    type: assumeRole
    assumeRole:
      roleArn: arn:aws:iam::111122223333:role/BedrockAccess
      externalId: aigw-demo-external-id
      sourceSecretRef: { name: demo-aws-keys }
  collaborators: [{ subject: "team:demo", role: User }]
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: tls-nova-lite, namespace: default }
spec: { account: over-tls, modelId: amazon.nova-lite-v1:0 }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: direct, namespace: default }
spec:
  provider: aws-bedrock
  region: us-east-1
  endpoint: ${directUrl}
  auth:
    type: accessKey
    accessKey: { secretRef: { name: demo-aws-keys } }
  collaborators: [{ subject: "team:demo", role: User }]
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: direct-nova-micro, namespace: default }
spec: { account: direct, modelId: amazon.nova-micro-v1:0 }
`;
}

let emulator: RunningEmulator;
let directEmulator: RunningEmulator;
let tls: Awaited<ReturnType<typeof startTlsFront>>;
let proxy: RecordingProxy;
let config: ConfigDir;
let gateway: ChildGateway;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  directEmulator = await startEmulator({ port: 0 });
  tls = await startTlsFront(emulator.url);
  proxy = await startRecordingProxy();
  config = await makeConfigDir({
    emulatorUrl: emulator.url,
    extraFiles: { 'egress.yaml': extraAccounts(tls.url, directEmulator.url) },
  });
  const direct = new URL(directEmulator.url).host;
  gateway = await spawnGateway(['--config', config.dir], {
    // Both spellings, since the lower-case ones win and the machine may have set either.
    HTTP_PROXY: proxy.url,
    http_proxy: proxy.url,
    HTTPS_PROXY: proxy.url,
    https_proxy: proxy.url,
    NO_PROXY: direct,
    no_proxy: direct,
    NODE_EXTRA_CA_CERTS: join(TLS_DIR, 'loopback-cert.pem'),
  });
});

afterAll(async () => {
  gateway?.kill();
  await gateway?.exited;
  await proxy?.close();
  await tls?.close();
  await emulator?.close();
  await directEmulator?.close();
  await config?.remove();
});

describe('egress through HTTPS_PROXY / HTTP_PROXY / NO_PROXY', () => {
  it('says at start which proxy it uses', () => {
    expect(gateway.output()).toContain(`egress through a proxy: https via ${proxy.url}, http via ${proxy.url}`);
  });

  it('sends Bedrock calls to an http endpoint through the proxy in absolute form', async () => {
    const reply = await openaiClient(gateway.url).chat.completions.create({
      model: SONNET,
      messages: [{ role: 'user', content: 'via the proxy' }],
    });
    expect(reply.choices[0]?.message.content).toBe('Echo: via the proxy');
    const host = new URL(emulator.url).host;
    expect(proxy.seen).toContainEqual(expect.stringMatching(new RegExp(`^POST http://${host}/model/[^ ]+/converse$`)));
  });

  it('tunnels STS and Bedrock calls to an https endpoint with CONNECT', async () => {
    const reply = await openaiClient(gateway.url).chat.completions.create({
      model: 'over-tls/tls-nova-lite',
      messages: [{ role: 'user', content: 'through a tunnel' }],
    });
    expect(reply.choices[0]?.message.content).toBe('Echo: through a tunnel');
    const tunnels = proxy.seen.filter((line) => line === `CONNECT ${new URL(tls.url).host}`);
    // At least one tunnel; the STS AssumeRole (SDK client) and Converse (gateway pool) use separate pools.
    expect(tunnels.length).toBeGreaterThanOrEqual(2);
  });

  it('sends the assumed-role account STS call through the proxy', async () => {
    const reply = await openaiClient(gateway.url).chat.completions.create({
      model: 'demo-role/us-anthropic-claude-3-5-haiku-20241022-v1-0',
      messages: [{ role: 'user', content: 'assume a role' }],
    });
    expect(reply.choices[0]?.message.content).toBe('Echo: assume a role');
    // STS's query API is a POST to the endpoint's root.
    expect(proxy.seen).toContain(`POST ${emulator.url}/`);
  });

  it('sends S3 calls (the Files API) through the proxy', async () => {
    const before = proxy.seen.length;
    const client = new OpenAI({
      baseURL: `${gateway.url}/v1`,
      apiKey: DEMO_KEY,
      maxRetries: 0,
      defaultHeaders: { 'x-aigateway-account': 'demo' },
    });
    const line = JSON.stringify({
      custom_id: 'one',
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: SONNET, messages: [{ role: 'user', content: 'hi' }] },
    });
    const file = await client.files.create({
      file: await toFile(Buffer.from(`${line}\n`), 'batch.jsonl'),
      purpose: 'batch',
    });
    expect(file.bytes).toBe(line.length + 1);
    const host = new URL(emulator.url).host;
    // The examples' demo account keeps files in the emulator's bucket aigw-demo (path-style).
    expect(proxy.seen.slice(before)).toContainEqual(
      expect.stringMatching(new RegExp(`^(PUT|POST) http://${host}/aigw-demo/`)),
    );
  });

  it('reaches hosts listed in NO_PROXY directly', async () => {
    const before = proxy.seen.length;
    const reply = await openaiClient(gateway.url).chat.completions.create({
      model: 'direct/direct-nova-micro',
      messages: [{ role: 'user', content: 'no proxy' }],
    });
    expect(reply.choices[0]?.message.content).toBe('Echo: no proxy');
    // The same gateway, in the same moment, still proxies a host NO_PROXY does not list.
    await openaiClient(gateway.url).chat.completions.create({
      model: SONNET,
      messages: [{ role: 'user', content: 'proxied' }],
    });
    const direct = new URL(directEmulator.url).host;
    const after = proxy.seen.slice(before);
    expect(after.filter((line) => line.includes(direct))).toEqual([]);
    expect(after).toContainEqual(expect.stringContaining(`${new URL(emulator.url).host}/model/`));
  });
});
