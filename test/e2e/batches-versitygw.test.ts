/**
 * Files and batches on a real S3 server: versitygw (posix backend) holds the gateway's files, Bedrock's
 * record files and the job outputs, which the emulator's batch jobs read and write there. The README's
 * files-and-batch snippets (Node, and Python when its openai package is installed) run unchanged, plus the
 * partially completed case with its error file.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_KEY, REPO_ROOT } from '../helpers/config-dir.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { type RunningVersitygw, startVersitygw, versitygwAvailability } from '../helpers/versitygw.js';

const run = promisify(execFile);
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
// The account's access keys sign Bedrock and S3 alike, so versitygw's root user gets the same keys.
const KEYS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const availability = versitygwAvailability();

function blocks(lang: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\``, 'gm');
  for (let m = re.exec(README); m; m = re.exec(README)) out.push(m[1]!);
  return out;
}

let s3: RunningVersitygw;
let stack: Stack;
let scratch: string;

describe.skipIf(!availability.run)(
  `files and batches on versitygw${availability.run ? '' : ` (${availability.reason})`}`,
  () => {
    beforeAll(async () => {
      s3 = await startVersitygw({ buckets: ['aigw-demo'], ...KEYS });
      stack = await startStack({
        emulator: { batch: { stepMs: 20, s3: { endpoint: s3.endpoint, ...KEYS } } },
      });
      // Point the demo account's storage at versitygw (the examples point it at the emulator).
      const accounts = await stack.config.read('accounts.yaml');
      await stack.config.write(
        'accounts.yaml',
        accounts.replace(`s3Endpoint: ${stack.emulator.url}`, `s3Endpoint: ${s3.endpoint}`),
      );
      await new Promise((r) => setTimeout(r, 1000)); // the gateway reloads the edited manifests
      scratch = mkdtempSync(join(tmpdir(), 'aigw-versitygw-readme-'));
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(scratch, 'node_modules'), 'dir');
    }, 60_000);

    afterAll(async () => {
      await stack?.close();
      await s3?.stop();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    const withPort = (text: string) => text.replaceAll('127.0.0.1:8080', new URL(stack.gateway.url).host);

    it('the Node snippet runs unchanged, and every object lands in versitygw', async () => {
      const file = join(scratch, 'batch.mjs');
      writeFileSync(file, withPort(blocks('js')[1]!));
      const { stdout } = await run(process.execPath, [file], { cwd: scratch, timeout: 60_000 });
      const lines = stdout.trim().split('\n');
      expect(lines).toHaveLength(100);
      expect(lines[42]).toBe('q42 Echo: Question 42');
      const listed = await s3.client().send(new ListObjectsV2Command({ Bucket: 'aigw-demo', Prefix: 'aigateway/' }));
      const keys = (listed.Contents ?? []).map((o) => o.Key!);
      expect(keys.some((k) => k.startsWith('aigateway/files/'))).toBe(true);
      expect(keys.some((k) => /^aigateway\/batches\/[a-z0-9]+\/records\.jsonl$/.test(k))).toBe(true);
      expect(keys.some((k) => /\/output\/[a-z0-9]{12}\/records\.jsonl\.out$/.test(k))).toBe(true);
      expect(keys.some((k) => k.endsWith('/manifest.json.out'))).toBe(true);
    });

    it('the Python snippet runs unchanged (when the openai package is installed)', async () => {
      const probe = await run('python3', ['-c', 'import openai'], { timeout: 20_000 }).then(
        () => true,
        () => false,
      );
      if (!probe) return;
      const file = join(scratch, 'batch.py');
      writeFileSync(file, withPort(blocks('python')[1]!));
      const { stdout } = await run('python3', [file], { cwd: scratch, timeout: 60_000 });
      expect(stdout.trim().split('\n')).toHaveLength(100);
    });

    it('a partially completed embeddings batch serves output and error files from versitygw', async () => {
      const client = new OpenAI({
        baseURL: `${stack.gateway.url}/v1`,
        apiKey: DEMO_KEY,
        maxRetries: 0,
        defaultHeaders: { 'x-aigateway-account': 'demo' },
      });
      const long = 'abcd '.repeat(9000);
      const text = Array.from({ length: 100 }, (_, i) =>
        JSON.stringify({
          custom_id: `e-${i}`,
          method: 'POST',
          url: '/v1/embeddings',
          body: { input: i === 7 ? long : `text ${i}` },
        }),
      ).join('\n');
      const f = await client.files.create({ file: await toFile(Buffer.from(text), 'emb.jsonl'), purpose: 'batch' });
      let b = await client.batches.create({
        input_file_id: f.id,
        endpoint: '/v1/embeddings',
        completion_window: '24h',
        // @ts-expect-error the gateway's extra member
        model: 'demo/amazon-titan-embed-text-v2-0',
      });
      while (!['completed', 'failed', 'expired', 'cancelled'].includes(b.status)) {
        await new Promise((r) => setTimeout(r, 50));
        b = await client.batches.retrieve(b.id);
      }
      expect(b.status).toBe('completed');
      expect(b.request_counts).toEqual({ total: 100, completed: 99, failed: 1 });
      const errors = (await (await client.files.content(b.error_file_id!)).text()).trim().split('\n');
      expect(errors.map((l) => JSON.parse(l).custom_id)).toEqual(['e-7']);
      const output = (await (await client.files.content(b.output_file_id!)).text()).trim().split('\n');
      expect(output).toHaveLength(99);
      expect(JSON.parse(output[0]!).response.body.data[0].embedding).toHaveLength(1024);
      // The cost marker exists, and versitygw refuses a second conditional create of it: the exactly-once
      // guarantee rests on that 412.
      const listed = await s3
        .client()
        .send(new ListObjectsV2Command({ Bucket: 'aigw-demo', Prefix: 'aigateway/batches/' }));
      const markers = (listed.Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith('/cost-counted'));
      expect(markers.length).toBeGreaterThanOrEqual(1);
      const again = await s3
        .client()
        .send(new PutObjectCommand({ Bucket: 'aigw-demo', Key: markers[0], Body: '{}', IfNoneMatch: '*' }))
        .catch((e: unknown) => e as { $metadata?: { httpStatusCode?: number } });
      expect((again as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(412);
    });
  },
);
