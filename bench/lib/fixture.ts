/**
 * What the bench tools share about their fixture: the stub's answers recorded from `aigw emulator`, the
 * credentials, model and key the gateway is configured with, the requests sent to it, and how the container image
 * starts aigw (its node flags and environment, read from the Dockerfile). bench/run.ts and bench/instructions.ts
 * both use it, so both measure the same gateway in front of the same upstream.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { request } from 'undici';
import { type Recording, splitFrames } from '../bedrock-stub.js';
import type { RequestSpec } from './load.js';

export const ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';
export const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const REGION = 'us-east-1';
export const MODEL_ID = 'anthropic.claude-3-haiku-20240307-v1:0';
/** The model's name as aigw serves it (the Model resource of writeGatewayConfig). */
export const SERVED = 'bench/anthropic-claude-3-haiku-20240307-v1-0';
export const API_KEY = 'sk-aigw-bench-000000000000000000';
export const PROMPT = 'Summarise the benefits of connection pooling in one sentence.';
export const MAX_TOKENS = 1024;

/** The emulator's reply for `[[reply:X]]`, streamed in chunks of two words: 2 × N words give N content deltas. */
export function replyWords(deltas: number): string {
  const words = ['pooled', 'connections', 'skip', 'the', 'handshake', 'and', 'keep', 'latency', 'low', 'under', 'load'];
  return Array.from({ length: deltas * 2 }, (_, i) => words[i % words.length]).join(' ');
}

/** A temporary aigw config directory: one Bedrock account at `upstreamUrl`, one model, one caller API key. */
export function writeGatewayConfig(upstreamUrl: string): string {
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
  endpoint: ${upstreamUrl}
  stsEndpoint: ${upstreamUrl}
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

/** A Converse (or ConverseStream) request to `origin`, SigV4-signed with the bench's access key. */
export async function signedConverse(origin: string, stream: boolean, prompt = PROMPT): Promise<RequestSpec> {
  const url = new URL(origin);
  const path = `/model/${encodeURIComponent(MODEL_ID)}/${stream ? 'converse-stream' : 'converse'}`;
  const body = JSON.stringify({
    messages: [{ role: 'user', content: [{ text: prompt }] }],
    inferenceConfig: { maxTokens: MAX_TOKENS },
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

/** The OpenAI chat completion request every gateway target is sent, for `model` as that gateway names it. */
export function openaiBody(stream: boolean, model: string): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: PROMPT }],
    max_tokens: MAX_TOKENS,
    ...(stream ? { stream: true } : {}),
  });
}

/** One real call to the emulator, kept as the stub's answer (status 200 required). */
export async function record(emulatorUrl: string, stream: boolean, prompt: string): Promise<Recording> {
  const spec = await signedConverse(emulatorUrl, stream, prompt);
  const res = await request(`${spec.origin}${spec.path}`, { method: 'POST', headers: spec.headers, body: spec.body });
  const body = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== 200) throw new Error(`recording from the emulator: HTTP ${res.statusCode} ${body}`);
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'x-amzn-requestid']) {
    const v = res.headers[name];
    if (typeof v === 'string') headers[name] = v;
  }
  return { headers, body: body.toString('base64') };
}

/** How many contentBlockDelta events a recorded ConverseStream answer holds. */
export function countDeltas(recording: Recording): number {
  return splitFrames(Buffer.from(recording.body, 'base64')).filter((f) => f.includes('contentBlockDelta')).length;
}

/** The ENV lines (`ENV NAME=value …`) of the Dockerfile's last stage. */
export function imageEnv(dockerfile: string): Record<string, string> {
  const lines = readFileSync(dockerfile, 'utf8').split('\n');
  const lastFrom = lines.findLastIndex((line) => /^FROM\s/.test(line));
  const env: Record<string, string> = {};
  for (const line of lines.slice(lastFrom + 1)) {
    const m = /^ENV\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    for (const pair of (m[1] as string).split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

/** The node options of the Dockerfile's exec-form ENTRYPOINT: what stands between the node binary and aigw.js. */
export function imageNodeFlags(dockerfile: string): string[] {
  const entry = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(readFileSync(dockerfile, 'utf8'));
  const argv = entry ? (JSON.parse(entry[1] as string) as string[]) : [];
  const script = argv.findIndex((a) => a.endsWith('/aigw.js'));
  if (script < 1) throw new Error(`${dockerfile}: no exec-form ENTRYPOINT running aigw.js to take node flags from`);
  return argv.slice(1, script);
}
