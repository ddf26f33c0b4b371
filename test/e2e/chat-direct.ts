/**
 * Converse requests sent straight to the chat stack's emulator with the official Bedrock runtime SDK,
 * bypassing the gateway: the chat suites use them to show that the emulator refuses a request real
 * Bedrock refuses, before showing that the gateway never sends that request.
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandInput,
  type ConverseCommandOutput,
} from '@aws-sdk/client-bedrock-runtime';
import type { ChatStack } from './chat-stack.js';

/** The emulator's built-in demo access key (docs/emulator.md, Identities). */
const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

/** What the emulator answered: the reply, or the exception's name and message. */
export type DirectOutcome =
  | { ok: true; output: ConverseCommandOutput }
  | { ok: false; name: string; status: number | undefined; message: string };

/**
 * Sends one Converse body (everything but `modelId`, as plain JSON the way a caller would write it)
 * to the emulator behind `chat`.
 */
export async function converseDirect(
  chat: ChatStack,
  modelId: string,
  body: Record<string, unknown>,
): Promise<DirectOutcome> {
  const client = new BedrockRuntimeClient({
    endpoint: chat.stack.emulator.url,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
  try {
    const output = await client.send(new ConverseCommand({ ...body, modelId } as ConverseCommandInput));
    return { ok: true, output };
  } catch (error) {
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    return { ok: false, name: e.name ?? 'Error', status: e.$metadata?.httpStatusCode, message: e.message ?? '' };
  } finally {
    client.destroy();
  }
}
