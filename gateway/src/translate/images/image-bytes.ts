/**
 * Reading uploaded images and building Bedrock masks.
 *
 * PNG decoding/encoding uses `pngjs`, the long-standing pure-JS PNG codec: masks must be decoded to
 * pixels and re-encoded, and a hand-written inflate/deflate + filter pipeline would be more code to get
 * wrong than the whole feature. JPEG is only sniffed for its dimensions (SOF marker), never decoded.
 */
import { PNG } from 'pngjs';
import { invalidValue } from '../../errors/index.js';

export type ImageFormat = 'png' | 'jpeg';

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Format and size from the bytes themselves (declared content types are often `application/octet-stream`). */
export function readImageInfo(bytes: Uint8Array): ImageInfo | undefined {
  if (bytes.length >= 24 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { format: 'png', width: view.getUint32(16), height: view.getUint32(20) };
  }
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

/** Decoded RGBA pixels of a PNG (pngjs always expands to 8-bit RGBA). */
export interface DecodedPng {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decodes a PNG or throws a 400 naming the form field. */
export function decodePng(bytes: Uint8Array, param: string): DecodedPng {
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, data: png.data };
  } catch {
    throw invalidValue(`'${param}' is not a readable PNG image.`, param);
  }
}

/** Whether any pixel is fully transparent (OpenAI's "edit here" marker). */
export function hasTransparentPixel(png: DecodedPng): boolean {
  for (let i = 3; i < png.data.length; i += 4) if (png.data[i] === 0) return true;
  return false;
}

/**
 * Builds Bedrock's black/white mask PNG. OpenAI masks mark the region to change with fully transparent
 * pixels; Nova Canvas and Titan want an opaque image where black marks the mask. For INPAINTING the mask
 * is the region to change; for OUTPAINTING it is the region to keep (the model redraws what lies outside),
 * so `maskIs` says which of the two the black pixels must cover.
 *
 * A mask without any transparent pixel is taken to be already in Bedrock's convention (dark = mask) and is
 * only normalised to pure black/white, so callers that prepared Bedrock masks keep working.
 */
export function toBedrockMask(mask: DecodedPng, maskIs: 'edit-region' | 'keep-region'): Uint8Array {
  const out = new PNG({ width: mask.width, height: mask.height, colorType: 0, inputHasAlpha: true });
  const alphaMode = hasTransparentPixel(mask);
  const src = mask.data;
  const dst = out.data;
  for (let i = 0; i < src.length; i += 4) {
    let editHere: boolean;
    if (alphaMode) editHere = src[i + 3] === 0;
    else {
      const luma = 0.299 * (src[i] as number) + 0.587 * (src[i + 1] as number) + 0.114 * (src[i + 2] as number);
      // Already a Bedrock mask: dark pixels are the mask, whatever it means for the task.
      editHere = maskIs === 'edit-region' ? luma < 128 : luma >= 128;
    }
    const black = maskIs === 'edit-region' ? editHere : !editHere;
    const v = black ? 0 : 255;
    dst[i] = v;
    dst[i + 1] = v;
    dst[i + 2] = v;
    dst[i + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(out, { colorType: 0 }));
}

/**
 * Re-encodes a PNG as opaque RGB, painting transparent pixels white: Bedrock image models take opaque
 * inputs, and once the transparent area has become the mask its colour no longer matters.
 */
export function flattenPng(png: DecodedPng): Uint8Array {
  const out = new PNG({ width: png.width, height: png.height, colorType: 2, inputHasAlpha: true });
  const src = png.data;
  const dst = out.data;
  for (let i = 0; i < src.length; i += 4) {
    const a = (src[i + 3] as number) / 255;
    dst[i] = Math.round((src[i] as number) * a + 255 * (1 - a));
    dst[i + 1] = Math.round((src[i + 1] as number) * a + 255 * (1 - a));
    dst[i + 2] = Math.round((src[i + 2] as number) * a + 255 * (1 - a));
    dst[i + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(out, { colorType: 2 }));
}

/** Base64 of raw bytes, as Bedrock's JSON bodies carry images. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
