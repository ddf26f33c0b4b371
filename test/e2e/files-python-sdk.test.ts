/**
 * The Files API through the official openai Python SDK, as the README's users call it, against the
 * stack `make run` starts (the emulator, whose S3 holds the demo account's bucket, and the gateway serving
 * examples/). Runs when `python3 -c 'import openai'` works; otherwise skipped with the reason printed.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_KEY } from '../helpers/config-dir.js';
import { type Stack, startStack } from '../helpers/stack.js';

const run = promisify(execFile);

function pythonOpenai(): boolean {
  try {
    execFileSync('python3', ['-c', 'import openai'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    console.warn('[files python suite skipped] the openai Python package is not installed (pip install openai)');
    return false;
  }
}

const SCRIPT = `
import json, sys
from openai import OpenAI, BadRequestError, NotFoundError

base_url, key, good, bad = sys.argv[1:5]
client = OpenAI(base_url=base_url, api_key=key, default_headers={"x-aigateway-account": "demo"}, max_retries=0)
out = {}
f = client.files.create(file=open(good, "rb"), purpose="batch")
out["created"] = f.model_dump()
out["retrieved"] = client.files.retrieve(f.id).model_dump()
out["content"] = client.files.content(f.id).text
out["listed"] = [x.id for x in client.files.list(limit=1000)]
try:
    client.files.create(file=open(bad, "rb"), purpose="batch")
except BadRequestError as e:
    out["bad"] = {"status": e.status_code, "message": e.body["message"], "param": e.body["param"]}
try:
    client.files.create(file=open(good, "rb"), purpose="fine-tune")
except BadRequestError as e:
    out["purpose"] = {"status": e.status_code, "param": e.body["param"]}
out["deleted"] = client.files.delete(f.id).model_dump()
try:
    client.files.retrieve(f.id)
except NotFoundError as e:
    out["gone"] = e.status_code
print(json.dumps(out))
`;

describe.skipIf(!pythonOpenai())('Files API through the openai Python SDK', () => {
  let stack: Stack;
  let scratch: string;

  beforeAll(async () => {
    stack = await startStack();
    scratch = mkdtempSync(join(tmpdir(), 'aigw-files-py-'));
  });

  afterAll(async () => {
    await stack?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('uploads, retrieves, reads, lists and deletes a batch file; refuses a bad line and a wrong purpose', async () => {
    const lines = Array.from({ length: 100 }, (_, i) =>
      JSON.stringify({
        custom_id: `request-${i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'demo/amazon-nova-lite-v1-0', messages: [{ role: 'user', content: `Hello ${i}` }] },
      }),
    );
    const good = `${lines.join('\n')}\n`;
    writeFileSync(join(scratch, 'requests.jsonl'), good);
    const broken = [...lines];
    broken[41] = JSON.stringify({ custom_id: 'request-41', method: 'POST', url: '/v1/chat/completions' });
    writeFileSync(join(scratch, 'broken.jsonl'), `${broken.join('\n')}\n`);
    writeFileSync(join(scratch, 'files.py'), SCRIPT);
    const { stdout } = await run(
      'python3',
      [
        join(scratch, 'files.py'),
        `${stack.gateway.url}/v1`,
        DEMO_KEY,
        join(scratch, 'requests.jsonl'),
        join(scratch, 'broken.jsonl'),
      ],
      { timeout: 60_000 },
    );
    const out = JSON.parse(stdout) as Record<string, Record<string, unknown> & { id?: string }>;
    expect(out.created).toMatchObject({
      object: 'file',
      bytes: Buffer.byteLength(good),
      filename: 'requests.jsonl',
      purpose: 'batch',
      status: 'processed',
      expires_at: null,
    });
    expect(out.created!.id).toMatch(/^file-[A-Za-z0-9_-]+$/);
    expect(out.retrieved).toEqual(out.created);
    expect(out.content).toBe(good);
    expect(out.listed).toContain(out.created!.id);
    expect(out.bad).toMatchObject({ status: 400, param: 'file' });
    expect(out.bad!.message).toMatch(/^Line 42 of the file: missing 'body'/);
    expect(out.purpose).toEqual({ status: 400, param: 'purpose' });
    expect(out.deleted).toEqual({ id: out.created!.id, object: 'file', deleted: true });
    expect(out.gone).toBe(404);
  });
});
