/**
 * Bedrock keeps a prompt cache per account, region and model: a prefix cached by one account is written
 * again by another, and a prefix cached in us-east-1 is written again in us-west-2. Proven through the AWS
 * SDK against one emulator that holds two accounts (a user of its own account id).
 */
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../src/index.js';

const SONNET = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const DEFAULT_USER = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const SAME_ACCOUNT_USER = { accessKeyId: 'AKIASAMEACCOUNT00001', secretAccessKey: 'same-account-secret' };
const OTHER_ACCOUNT_USER = { accessKeyId: 'AKIAOTHERACCOUNT0001', secretAccessKey: 'other-account-secret' };

let emu: RunningEmulator;
const clients: BedrockRuntimeClient[] = [];

function client(credentials: typeof DEFAULT_USER, region: string): BedrockRuntimeClient {
  const c = new BedrockRuntimeClient({ endpoint: emu.url, region, credentials, maxAttempts: 1 });
  clients.push(c);
  return c;
}

/** Sends the same 2,048-token cached system prompt and returns the cache split of the reply. */
async function cached(c: BedrockRuntimeClient, prefix: string) {
  const out = await c.send(
    new ConverseCommand({
      modelId: SONNET,
      system: [{ text: prefix.repeat(8192) }, { cachePoint: { type: 'default' } }],
      messages: [{ role: 'user', content: [{ text: 'hi' }] }],
    }),
  );
  return { read: out.usage?.cacheReadInputTokens, write: out.usage?.cacheWriteInputTokens };
}

beforeAll(async () => {
  emu = await startEmulator({
    port: 0,
    identity: {
      users: [
        { name: 'same-account', ...SAME_ACCOUNT_USER },
        { name: 'other-account', accountId: '444455556666', ...OTHER_ACCOUNT_USER },
      ],
    },
  });
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await emu.close();
});

describe('prompt cache per account, region and model', () => {
  it('is shared by principals of one account in one region', async () => {
    expect(await cached(client(DEFAULT_USER, 'us-east-1'), 'a')).toEqual({ read: 0, write: 2048 });
    expect(await cached(client(SAME_ACCOUNT_USER, 'us-east-1'), 'a')).toEqual({ read: 2048, write: 0 });
  });

  it('is written again by another account', async () => {
    expect(await cached(client(DEFAULT_USER, 'us-east-1'), 'b')).toEqual({ read: 0, write: 2048 });
    const other = client(OTHER_ACCOUNT_USER, 'us-east-1');
    expect(await cached(other, 'b')).toEqual({ read: 0, write: 2048 });
    expect(await cached(other, 'b')).toEqual({ read: 2048, write: 0 });
  });

  it('is written again in another region of the same account', async () => {
    expect(await cached(client(DEFAULT_USER, 'us-east-1'), 'c')).toEqual({ read: 0, write: 2048 });
    const west = client(DEFAULT_USER, 'us-west-2');
    expect(await cached(west, 'c')).toEqual({ read: 0, write: 2048 });
    expect(await cached(west, 'c')).toEqual({ read: 2048, write: 0 });
    expect(await cached(client(DEFAULT_USER, 'us-east-1'), 'c')).toEqual({ read: 2048, write: 0 });
  });

  it('names the account of a user that lives in another account in its principal', async () => {
    await cached(client(OTHER_ACCOUNT_USER, 'us-east-1'), 'd');
    const stats = (await (await fetch(`${emu.url}/_emulator/stats`)).json()) as { principals: Record<string, number> };
    expect(Object.keys(stats.principals)).toContain('arn:aws:iam::444455556666:user/other-account');
  });
});
