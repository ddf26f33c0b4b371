/**
 * Reading uploaded images the way Bedrock's image models do: the format and size come from the bytes'
 * own header (PNG IHDR, JPEG SOF marker), and PNG pixels are decoded with pngjs (the long-standing
 * pure-JS codec) only when a handler paints into them. The emulator keeps its own reader rather than
 * the gateway's so that a gateway mistake in reading images cannot be mirrored here.
 */
import { PNG } from 'pngjs';
import { validationException } from '../errors.js';

/** Format and pixel size of an image, from its header. */
export interface ImageInfo {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/** The format and size read from the header; undefined when the bytes are neither PNG nor JPEG. */
export function readImageInfo(bytes: Buffer): ImageInfo | undefined {
  // PNG: signature, then the IHDR chunk whose first two fields are width and height (big-endian).
  if (bytes.length >= 24 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    return { format: 'png', width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return readJpegInfo(bytes);
  return undefined;
}

function readJpegInfo(bytes: Buffer): ImageInfo | undefined {
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1] as number;
    // Markers without a length: SOI, TEM and the restart markers.
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    // Start-of-frame markers C0..CF carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { format: 'jpeg', height: bytes.readUInt16BE(offset + 5), width: bytes.readUInt16BE(offset + 7) };
    }
    offset += 2 + bytes.readUInt16BE(offset + 2);
  }
  return undefined;
}

/** Decoded 8-bit RGBA pixels of a PNG. */
export interface DecodedPng {
  width: number;
  height: number;
  data: Buffer;
}

/** Decodes a PNG; unreadable bytes are the ValidationException Bedrock answers for an unreadable image. */
export function decodePng(bytes: Buffer, path: string): DecodedPng {
  try {
    const png = PNG.sync.read(bytes);
    return { width: png.width, height: png.height, data: png.data };
  } catch {
    throw validationException(
      `Unable to read the image at ${path}. Supported formats are PNG and JPEG, sent as base64.`,
    );
  }
}
