/**
 * `aigw serve` keeps the clients of optional features out of memory until they are used: the examples
 * configure files and batches on an account with static keys and no Redis, so after start-up neither the
 * S3 SDK, lib-storage, the Bedrock control-plane client, the credential providers nor ioredis is loaded;
 * the first Files call loads the S3 SDK. A resolve hook in the child lists the packages it loaded.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_KEY, EXAMPLES_DIR } from '../helpers/config-dir.js';
import { freePort } from '../helpers/redis.js';
import { type ChildGateway, spawnGateway } from '../helpers/stack.js';

const HOOK = `
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const seen = new Set();
registerHooks({
  resolve(specifier, context, next) {
    const r = next(specifier, context);
    const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url);
    if (m) seen.add(m[1]);
    return r;
  },
});
process.on('SIGUSR2', () => writeFileSync(process.env.LOADED_OUT, [...seen].sort().join('\\n')));
`;

const OPTIONAL = [
  '@aws-sdk/client-s3',
  '@aws-sdk/lib-storage',
  '@aws-sdk/client-bedrock',
  '@aws-sdk/credential-providers',
  'ioredis',
];

describe('aigw serve start-up', () => {
  const dir = join(tmpdir(), `aigw-loaded-${process.pid}`);
  const hook = `${dir}-hook.mjs`;
  const out = `${dir}-loaded.txt`;
  let gw: ChildGateway;

  const loaded = async (): Promise<string[]> => {
    await rm(out, { force: true });
    gw.kill('SIGUSR2');
    for (let i = 0; i < 100; i++) {
      const text = await readFile(out, 'utf8').catch(() => undefined);
      if (text !== undefined) return text.split('\n');
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the gateway did not list its loaded packages');
  };

  beforeAll(async () => {
    await writeFile(hook, HOOK);
    // No emulator on this port: nothing here needs an answer from upstream.
    gw = await spawnGateway(['--config', EXAMPLES_DIR], {
      EMULATOR_PORT: String(await freePort()),
      NODE_OPTIONS: `--import ${hook}`,
      LOADED_OUT: out,
    });
  });

  afterAll(async () => {
    gw?.kill();
    await gw?.exited;
    await rm(hook, { force: true });
    await rm(out, { force: true });
  });

  it('loads none of the optional clients before they are used, and the S3 SDK on the first Files call', async () => {
    const atStart = await loaded();
    expect(atStart).toContain('fastify');
    for (const name of OPTIONAL) expect(atStart).not.toContain(name);

    const res = await fetch(`${gw.url}/v1/files`, { headers: { authorization: `Bearer ${DEMO_KEY}` } });
    await res.arrayBuffer();
    const afterFiles = await loaded();
    expect(afterFiles).toContain('@aws-sdk/client-s3');
    expect(afterFiles).not.toContain('ioredis');
  });
});
