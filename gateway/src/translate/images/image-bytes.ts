/**
 * Reading uploaded images: format and size from the header bytes only, never by decoding. The pixel work
 * (decoding PNGs, building masks) lives in edit-pixels.ts, which the server runs in worker threads. JPEG is
 * only sniffed for its dimensions (SOF marker), never decoded.
 */
import { invalidValue } from '../../errors/index.js';
import { type DecodedPng, decodePngWithin, readPngHeader } from './edit-pixels.js';

export {
  type DecodedPng,
  type EditPixelJob,
  type EditPixelResult,
  flattenPng,
  hasTransparentPixel,
  type MaskRole,
  pngMayBeTransparent,
  toBedrockMask,
} from './edit-pixels.js';

export type ImageFormat = 'png' | 'jpeg';

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
}

/** Format and size from the bytes themselves (declared content types are often `application/octet-stream`). */
export function readImageInfo(bytes: Uint8Array): ImageInfo | undefined {
  const png = readPngHeader(bytes);
  if (png) return { format: 'png', width: png.width, height: png.height };
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return readJpegInfo(bytes);
  return undefined;
}

function readJpegInfo(bytes: Uint8Array): ImageInfo | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1] as number;
    // Standalone markers carry no length.
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    const length = view.getUint16(offset + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { format: 'jpeg', height: view.getUint16(offset + 5), width: view.getUint16(offset + 7) };
    }
    offset += 2 + length;
  }
  return undefined;
}

/**
 * Decodes a PNG on the calling thread or throws a 400 naming the form field. For small trusted images
 * (the emulator's renderer, tests); request paths run {@link EditPixelJob}s in the image workers.
 */
export function decodePng(bytes: Uint8Array, param: string, maxPixels = 64 * 1024 * 1024): DecodedPng {
  const decoded = decodePngWithin(bytes, maxPixels);
  if (!('data' in decoded)) throw invalidValue(`'${param}' is not a readable PNG image.`, param);
  return decoded;
}

/** Base64 of raw bytes, as Bedrock's JSON bodies carry images. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
