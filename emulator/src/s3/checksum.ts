/**
 * The additional checksums S3 accepts (`x-amz-checksum-<algorithm>`, base64 of the big-endian digest):
 * CRC32 (`node:zlib`), CRC32C, SHA-1 and SHA-256 (`node:crypto`). CRC64NVME is accepted and stored but not
 * verified by the emulator.
 */

import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'sha1', 'sha256', 'crc64nvme'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78). Node has no built-in for it; a 256-entry table
 * is the textbook implementation and keeps the emulator free of another dependency for one algorithm.
 */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = (CRC32C_TABLE[(crc ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function u32(value: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b.toString('base64');
}

/** The base64 checksum of `data`, or undefined for an algorithm the emulator does not compute. */
export function computeChecksum(algorithm: ChecksumAlgorithm, data: Uint8Array): string | undefined {
  switch (algorithm) {
    case 'crc32':
      return u32(crc32(data));
    case 'crc32c':
      return u32(crc32c(data));
    case 'sha1':
      return createHash('sha1').update(data).digest('base64');
    case 'sha256':
      return createHash('sha256').update(data).digest('base64');
    case 'crc64nvme':
      return undefined;
  }
}

/** The algorithm named by a header such as `x-amz-checksum-crc32`, if it is one. */
export function checksumAlgorithmOfHeader(name: string): ChecksumAlgorithm | undefined {
  const m = /^x-amz-checksum-([a-z0-9]+)$/.exec(name.toLowerCase());
  const algorithm = m?.[1] as ChecksumAlgorithm | undefined;
  return algorithm && CHECKSUM_ALGORITHMS.includes(algorithm) ? algorithm : undefined;
}
