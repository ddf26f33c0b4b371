/**
 * OpenAI's `encoding_format: "base64"` is the base64 of the vector's raw little-endian float32 bytes
 * (the openai SDKs decode it with `Float32Array` on little-endian hosts). The official Node SDK asks for
 * base64 by default, so this path carries most SDK traffic.
 */
export function encodeFloat32Base64(vector: readonly number[]): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i] as number, true);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Inverse of {@link encodeFloat32Base64}; used by tests and by callers checking round trips. */
export function decodeFloat32Base64(encoded: string): number[] {
  const buf = Buffer.from(encoded, 'base64');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 4 <= buf.byteLength; i += 4) out.push(view.getFloat32(i, true));
  return out;
}
