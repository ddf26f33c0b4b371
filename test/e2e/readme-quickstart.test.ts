/**
 * The README's quick start is a promise to a new user: after `make run`, its curl commands and its openai-SDK
 * snippets work. This suite takes those snippets out of README.md itself and runs them against the emulator and a
 * gateway serving the examples, with only the host ports rewritten (the stack uses free ports).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/config-dir.js';
import { type Stack, startStack } from '../helpers/stack.js';

const run = promisify(execFile);
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

/** The fenced blocks of one language, in order. */
function blocks(lang: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\``, 'gm');
  for (let m = re.exec(README); m; m = re.exec(README)) out.push(m[1]!);
  return out;
}

/** The curl commands of a shell block: one per paragraph (a quoted JSON body may span lines). */
function shellCommands(block: string): string[] {
  return block
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph.startsWith('curl '));
}

let stack: Stack;
let scratch: string;
const withPort = (text: string) => text.replaceAll('127.0.0.1:8080', new URL(stack.gateway.url).host);

beforeAll(async () => {
  // Batch jobs step through their states in milliseconds instead of `make run`'s seconds.
  stack = await startStack({ emulator: { batch: { stepMs: 20 } } });
  scratch = mkdtempSync(join(tmpdir(), 'aigw-readme-'));
  // The Node snippet imports `openai`; let it resolve from the repository's node_modules.
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(scratch, 'node_modules'), 'dir');
});

afterAll(async () => {
  await stack?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('README quick start', () => {
  it('documents the two set-up commands', () => {
    expect(README).toMatch(/^make run\b/m);
    expect(README).toMatch(/^make test\b/m);
  });

  it('every curl command answers 200 with an OpenAI-shaped body', async () => {
    const commands = blocks('sh').flatMap(shellCommands);
    expect(commands.length).toBeGreaterThanOrEqual(5);
    for (const command of commands) {
      const { stdout } = await run('bash', ['-c', `${withPort(command)} -w '\\n%{http_code}'`], { timeout: 20_000 });
      const lines = stdout.trimEnd().split('\n');
      const status = lines.pop();
      expect(status, command).toBe('200');
      const body = lines.join('\n');
      if (command.includes('stream":true')) {
        expect(body).toContain('data: [DONE]');
        expect(body).toContain('"object":"chat.completion.chunk"');
      } else {
        expect(JSON.parse(body)).not.toHaveProperty('error');
      }
    }
  });

  it('the Node snippet prints the chat reply and the streamed reply', async () => {
    const [snippet] = blocks('js');
    expect(snippet).toBeDefined();
    const file = join(scratch, 'quickstart.mjs');
    writeFileSync(file, withPort(snippet!));
    const { stdout } = await run(process.execPath, [file], { cwd: scratch, timeout: 20_000 });
    // The emulator's documented reply is an echo of the last user text.
    expect(stdout).toContain('Echo: Hello from Node');
    expect(stdout).toContain('Echo: Stream from Node');
  });

  it('the Python snippet, when the openai package is installed, prints the reply, embeddings and an image', async () => {
    const [snippet] = blocks('python');
    expect(snippet).toBeDefined();
    const probe = await run('python3', ['-c', 'import openai'], { timeout: 20_000 }).then(
      () => true,
      () => false,
    );
    if (!probe) {
      // The Python SDK is not a project dependency; the snippet is still checked to target this gateway.
      expect(snippet).toContain('base_url="http://127.0.0.1:8080/v1"');
      return;
    }
    const file = join(scratch, 'quickstart.py');
    writeFileSync(file, withPort(snippet!));
    const { stdout } = await run('python3', [file], { timeout: 30_000 });
    expect(stdout).toContain('Echo: Hello from Python');
    expect(stdout).toMatch(/^2 1024$/m);
  });

  it('the Node files-and-batch snippet prints one reply per request, in input order', async () => {
    const snippet = blocks('js')[1];
    expect(snippet).toBeDefined();
    const file = join(scratch, 'batch.mjs');
    writeFileSync(file, withPort(snippet!));
    const { stdout } = await run(process.execPath, [file], { cwd: scratch, timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(100);
    expect(lines[0]).toBe('q0 Echo: Question 0');
    expect(lines[99]).toBe('q99 Echo: Question 99');
  });

  it('the Python files-and-batch snippet, when the openai package is installed, prints one reply per request', async () => {
    const snippet = blocks('python')[1];
    expect(snippet).toBeDefined();
    expect(snippet).toContain('extra_body={"model": "demo/');
    const probe = await run('python3', ['-c', 'import openai'], { timeout: 20_000 }).then(
      () => true,
      () => false,
    );
    if (!probe) return;
    const file = join(scratch, 'batch.py');
    writeFileSync(file, withPort(snippet!));
    const { stdout } = await run('python3', [file], { cwd: scratch, timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(100);
    expect(lines[0]).toBe('q0 Echo: Question 0');
    expect(lines[99]).toBe('q99 Echo: Question 99');
  });
});
