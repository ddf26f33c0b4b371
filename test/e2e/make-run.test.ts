/**
 * `make run`, the README's first command: it stops at once with a message naming the port and the
 * make variable to change when the emulator's or the gateway's port is taken (4566 is also
 * LocalStack's), and `EMULATOR_PORT` moves the emulator and the endpoints of examples/ together.
 * The build step is skipped (`-o build`): the suite builds once itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_KEY, REPO_ROOT } from '../helpers/config-dir.js';
import { ensureBuilt, openaiClient } from '../helpers/stack.js';

interface MakeRun {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

const running: MakeRun[] = [];

function makeRun(vars: Record<string, number>): MakeRun {
  const args = ['-s', '-o', 'build', 'run', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)];
  // Its own process group, so the emulator and gateway it starts go with it.
  const child = spawn('make', args, { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const run = { child, output: () => output, exited };
  running.push(run);
  return run;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function occupy(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as { port: number }).port, server };
}

async function waitFor(run: MakeRun, pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const match = run.output().match(pattern);
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${ms} ms:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(() => {
  ensureBuilt();
});

afterEach(async () => {
  for (const run of running.splice(0)) {
    if (run.child.exitCode === null && run.child.pid) {
      try {
        process.kill(-run.child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await run.exited;
    }
  }
});

describe('make run', () => {
  it('stops with the emulator port and how to change it when that port is taken', async () => {
    const { port, server } = await occupy();
    try {
      const run = makeRun({ EMULATOR_PORT: port, PORT: await freePort(), ADMIN_PORT: await freePort() });
      expect(await run.exited).not.toBe(0);
      expect(run.output()).toContain(`aigw: cannot listen on 127.0.0.1:${port} (--port): the port is already in use`);
      expect(run.output()).toContain(
        `make run: the Bedrock emulator did not start on 127.0.0.1:${port} (4566 is also LocalStack's port); pick a free one: make run EMULATOR_PORT=`,
      );
      expect(run.output()).not.toContain('demo API key');
    } finally {
      server.close();
    }
  });

  it('stops with the gateway port and how to change it when that port is taken', async () => {
    const { port, server } = await occupy();
    try {
      const run = makeRun({ EMULATOR_PORT: await freePort(), PORT: port, ADMIN_PORT: await freePort() });
      expect(await run.exited).not.toBe(0);
      expect(run.output()).toMatch(
        new RegExp(`aigw: cannot listen on [0-9.]+:${port} \\(--port\\): the port is already in use`),
      );
      expect(run.output()).toContain('make run: the gateway did not start (see above); other ports: make run PORT=');
    } finally {
      server.close();
    }
  });

  it('serves examples/ against an emulator on EMULATOR_PORT (STS and Bedrock calls included)', async () => {
    const emulatorPort = await freePort();
    const port = await freePort();
    const run = makeRun({ EMULATOR_PORT: emulatorPort, PORT: port, ADMIN_PORT: await freePort() });
    await waitFor(run, /"msg":"gateway listening"/, 60_000);
    expect(run.output()).toContain(`aigw emulator listening on http://127.0.0.1:${emulatorPort}`);
    expect(run.output()).toContain(`OpenAI API: http://127.0.0.1:${port}/v1  demo API key: ${DEMO_KEY}`);
    const client = openaiClient(`http://127.0.0.1:${port}`, DEMO_KEY);
    // demo-role assumes a role with STS first: both endpoints come from EMULATOR_PORT.
    const reply = await client.chat.completions.create({
      model: 'demo-role/us-anthropic-claude-3-5-haiku-20241022-v1-0',
      messages: [{ role: 'user', content: 'moved port' }],
    });
    expect(reply.choices[0]?.message.content).toBe('Echo: moved port');
  }, 90_000);
});
