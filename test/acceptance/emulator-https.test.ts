/**
 * `aigw emulator --tls-port` as a user runs it: the CLI prints (and writes) the CA it generated, and
 * clients that trust that CA call Bedrock over HTTPS with an API key — the AWS SDK for JavaScript and,
 * when Python's boto3 is installed, boto3 (CI installs it; without it those checks are skipped with the
 * reason printed).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BedrockRuntimeClient, ConverseCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorProcess, LONG_TERM_API_KEY, spawnEmulator } from './emulator-harness.js';

const SONNET = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const boto3Probe = spawnSync('python3', ['-c', 'import boto3, botocore; print(botocore.__version__)'], {
  encoding: 'utf8',
});
const boto3Missing =
  boto3Probe.status === 0
    ? undefined
    : `python3 with boto3 is not available here (${(boto3Probe.error?.message ?? boto3Probe.stderr ?? '').trim().split('\n').at(-1)})`;
if (boto3Missing) console.log(`emulator-https: skipping the boto3 checks: ${boto3Missing}`);

const dir = mkdtempSync(join(tmpdir(), 'aigw-emulator-https-'));
const caFile = join(dir, 'ca.pem');
let emu: EmulatorProcess;
let tlsUrl: string;
let printedCa: string;

beforeAll(async () => {
  emu = await spawnEmulator(['--tls-port', '0', '--tls-ca-file', caFile, '--print-ca']);
  // The TLS line and the PEM follow the first listening line.
  const deadline = Date.now() + 10_000;
  while (!emu.output().includes('-----END CERTIFICATE-----') && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const output = emu.output();
  tlsUrl = /TLS listening on (https:\/\/\S+)/.exec(output)?.[1] ?? '';
  printedCa = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(output)?.[0] ?? '';
});

afterAll(async () => {
  await emu?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('aigw emulator --tls-port', () => {
  it('prints the HTTPS URL and the CA, and writes the same CA to --tls-ca-file', () => {
    expect(tlsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.output()).toContain(`(CA certificate written to ${caFile})`);
    expect(printedCa).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(readFileSync(caFile, 'utf8')).toBe(printedCa);
  });

  it('the AWS SDK for JavaScript trusting the printed CA calls Claude with an API key over HTTPS', async () => {
    const client = new BedrockRuntimeClient({
      endpoint: tlsUrl,
      region: 'us-east-1',
      token: { token: LONG_TERM_API_KEY },
      authSchemePreference: ['httpBearerAuth'],
      requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ ca: printedCa }) }),
      maxAttempts: 1,
    });
    try {
      const out = await client.send(
        new ConverseCommand({ modelId: SONNET, messages: [{ role: 'user', content: [{ text: 'via https' }] }] }),
      );
      expect(out.output?.message?.content?.[0]?.text).toBe('Echo: via https');
      const invoked = await client.send(
        new InvokeModelCommand({
          modelId: SONNET,
          contentType: 'application/json',
          body: JSON.stringify({
            anthropic_version: 'bedrock-2023-05-31',
            max_tokens: 50,
            messages: [{ role: 'user', content: 'native over https' }],
          }),
        }),
      );
      const reply = JSON.parse(new TextDecoder().decode(invoked.body)) as { content: { text: string }[] };
      expect(reply.content[0]?.text).toBe('Echo: native over https');
    } finally {
      client.destroy();
    }
  });

  it('--print-ca and --tls-ca-file without --tls-port are a usage error', () => {
    const cli = join(import.meta.dirname, '..', '..', 'dist', 'gateway', 'src', 'cli', 'aigw.js');
    const run = spawnSync(process.execPath, [cli, 'emulator', '--port', '0', '--print-ca'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--tls-ca-file and --print-ca need --tls-port');
  });

  it.skipIf(boto3Missing !== undefined)(
    'boto3 with AWS_BEARER_TOKEN_BEDROCK and the CA bundle calls Converse and InvokeModel over HTTPS',
    () => {
      // No AWS credentials in the environment: only the API key can authenticate these calls.
      const script = `
import json, os, socket, ssl, sys, urllib.parse
import boto3
from botocore.config import Config

url = os.environ['EMULATOR_TLS_URL']
client = boto3.client('bedrock-runtime', region_name='us-east-1', endpoint_url=url,
                      config=Config(retries={'max_attempts': 1}))
out = client.converse(modelId='${SONNET}',
                      messages=[{'role': 'user', 'content': [{'text': 'from boto3'}]}])
native = client.invoke_model(modelId='${SONNET}', contentType='application/json', body=json.dumps({
    'anthropic_version': 'bedrock-2023-05-31', 'max_tokens': 50,
    'messages': [{'role': 'user', 'content': 'boto3 native'}]}))
body = json.loads(native['body'].read())
# The certificate also passes Python's strict X.509 checks (the default from Python 3.13 on).
ctx = ssl.create_default_context(cafile=os.environ['AWS_CA_BUNDLE'])
ctx.verify_flags |= getattr(ssl, 'VERIFY_X509_STRICT', 0)
parsed = urllib.parse.urlparse(url)
with socket.create_connection((parsed.hostname, parsed.port)) as raw:
    with ctx.wrap_socket(raw, server_hostname=parsed.hostname) as tls_socket:
        version = tls_socket.version()
print(json.dumps({'converse': out['output']['message']['content'][0]['text'],
                  'native': body['content'][0]['text'], 'stop': body['stop_reason'], 'tls': version}))
`;
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) env[k] = v;
      const run = spawnSync('python3', ['-c', script], {
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...env,
          EMULATOR_TLS_URL: tlsUrl,
          AWS_CA_BUNDLE: caFile,
          AWS_BEARER_TOKEN_BEDROCK: LONG_TERM_API_KEY,
        },
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({
        converse: 'Echo: from boto3',
        native: 'Echo: boto3 native',
        stop: 'end_turn',
        tls: expect.stringMatching(/^TLSv1\.[23]$/),
      });
    },
  );

  it.skipIf(boto3Missing !== undefined)('boto3 refuses the HTTPS endpoint when it does not trust the CA', () => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('AWS_')) env[k] = v;
    const run = spawnSync(
      'python3',
      [
        '-c',
        `import boto3, os
from botocore.config import Config
c = boto3.client('bedrock-runtime', region_name='us-east-1', endpoint_url=os.environ['EMULATOR_TLS_URL'], config=Config(retries={'max_attempts': 1}))
try:
    c.converse(modelId='${SONNET}', messages=[{'role': 'user', 'content': [{'text': 'x'}]}])
    print('accepted')
except Exception as e:
    print(type(e).__name__)
`,
      ],
      {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...env, EMULATOR_TLS_URL: tlsUrl, AWS_BEARER_TOKEN_BEDROCK: LONG_TERM_API_KEY },
      },
    );
    expect(run.stdout.trim()).toBe('SSLError');
  });
});
