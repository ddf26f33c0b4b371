/**
 * Reasoning signatures. Real Bedrock signs each reasoning block so the model can tell whether thinking sent
 * back in a later turn is exactly what it produced; the emulator signs with an HMAC-SHA256 over the
 * reasoning text under an emulator secret, so a changed text or signature fails validation.
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The signature of a reasoning text: base64 HMAC-SHA256(secret, "reasoning:" + text). */
export function signReasoning(text: string, secret: string): string {
  return createHmac('sha256', secret).update(`reasoning:${text}`).digest('base64');
}

/** Whether `signature` is the emulator's signature of `text`. */
export function verifyReasoningSignature(text: string, signature: string, secret: string): boolean {
  const expected = Buffer.from(signReasoning(text, secret));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A redactedContent blob: 16 random bytes followed by their HMAC, base64. */
export function makeRedactedContent(secret: string): string {
  const nonce = randomBytes(16);
  const mac = createHmac('sha256', secret).update(nonce).digest();
  return Buffer.concat([nonce, mac]).toString('base64');
}

/** Whether a redactedContent blob is one the emulator produced. */
export function verifyRedactedContent(blob: string, secret: string): boolean {
  const bytes = Buffer.from(blob, 'base64');
  if (bytes.length !== 48) return false;
  const mac = createHmac('sha256', secret).update(bytes.subarray(0, 16)).digest();
  return timingSafeEqual(mac, bytes.subarray(16));
}
