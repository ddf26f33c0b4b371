/**
 * The pixel work of an image edit: decoding an uploaded PNG, finding its transparent pixels, and
 * encoding Bedrock's black/white mask and an opaque copy of the source. It is the only CPU-heavy step of
 * an edit (a 4-megapixel PNG takes about a second), so the server runs it in its image worker threads:
 * this module is their entry point (the default export is the task) and stays pure.
 *
 * It imports nothing but `pngjs` and Node built-ins: Node loads it directly in a worker thread, also from
 * the TypeScript sources in tests, where the project's relative `.js` specifiers would not resolve.
 *
 * PNG decoding/encoding uses `pngjs`, the long-standing pure-JS PNG codec; a hand-written inflate and
 * filter pipeline would be more code to get wrong than the whole feature. What pngjs does not bound is
 * bounded here before it runs: the pixel count from the header, and the inflated size of interlaced
 * images (pngjs caps the inflate of non-interlaced ones at the size the header implies, but not of
 * interlaced ones, so a small "zip bomb" could otherwise expand without limit).
 */
import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';

/** Which region Bedrock's black mask pixels must cover: the one to change (INPAINTING) or to keep (OUTPAINTING). */
export type MaskRole = 'edit-region' | 'keep-region';

/** One unit of pixel work, as sent to a worker (plain data: structured-cloned across threads). */
export type EditPixelJob =
  /** Convert an uploaded mask (OpenAI convention, or already black/white) into Bedrock's mask. */
  | { op: 'mask'; mask: Uint8Array; maskIs: MaskRole; maxPixels: number }
  /** Look for transparent pixels in the source; when there are, they become the mask and the source is flattened. */
  | { op: 'alpha'; image: Uint8Array; maskIs: MaskRole; maxPixels: number };

/** Why a PNG could not be used. */
export type PixelProblem = 'unreadable' | 'too-many-pixels';

export type EditPixelResult =
  | { ok: true; op: 'mask'; mask: Uint8Array }
  | { ok: true; op: 'alpha'; transparent: false }
  | { ok: true; op: 'alpha'; transparent: true; mask: Uint8Array; image: Uint8Array }
  | { ok: false; problem: PixelProblem };

/** Decoded RGBA pixels of a PNG (pngjs always expands to 8-bit RGBA). */
export interface DecodedPng {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The worker task: one job in, one result out. Never throws for bad input. */
export default function runEditPixelJob(job: EditPixelJob): EditPixelResult {
  const bytes = job.op === 'mask' ? job.mask : job.image;
  const decoded = decodePngWithin(bytes, job.maxPixels);
  if (!('data' in decoded)) return decoded;
  if (job.op === 'mask') return { ok: true, op: 'mask', mask: toBedrockMask(decoded, job.maskIs) };
  if (!hasTransparentPixel(decoded)) return { ok: true, op: 'alpha', transparent: false };
  return {
    ok: true,
    op: 'alpha',
    transparent: true,
    mask: toBedrockMask(decoded, job.maskIs),
    image: flattenPng(decoded),
  };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** The IHDR fields of a PNG, or undefined when the bytes do not start like one. */
export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

export function readPngHeader(bytes: Uint8Array): PngHeader | undefined {
  if (bytes.length < 33 || !PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The first chunk must be IHDR, 13 bytes long.
  if (view.getUint32(8) !== 13 || chunkType(bytes, 12) !== 'IHDR') return undefined;
  return {
    width: view.getUint32(16),
    height: view.getUint32(20),
    bitDepth: bytes[24] as number,
    colorType: bytes[25] as number,
    interlaced: bytes[28] === 1,
  };
}

function chunkType(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(
    bytes[at] as number,
    bytes[at + 1] as number,
    bytes[at + 2] as number,
    bytes[at + 3] as number,
  );
}

/**
 * Whether a PNG can contain a transparent pixel at all, from its chunk headers only: a colour type with
 * alpha (4, 6) or a `tRNS` chunk, which must come before the first IDAT. Opaque photos (RGB, grey,
 * palette without tRNS) are thereby never decoded. Walks chunk headers only: a few hops per file.
 */
export function pngMayBeTransparent(bytes: Uint8Array): boolean {
  const header = readPngHeader(bytes);
  if (!header) return true;
  if (header.colorType === 4 || header.colorType === 6) return true;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  while (at + 8 <= bytes.length) {
    const length = view.getUint32(at);
    const type = chunkType(bytes, at + 4);
    if (type === 'tRNS') return true;
    if (type === 'IDAT' || type === 'IEND') return false;
    at += 12 + length;
  }
  // Truncated before any image data: let the decoder report it.
  return true;
}

/** Decodes a PNG whose header promises at most `maxPixels` pixels; never throws. */
export function decodePngWithin(
  bytes: Uint8Array,
  maxPixels: number,
): DecodedPng | { ok: false; problem: PixelProblem } {
  const header = readPngHeader(bytes);
  if (!header || header.width === 0 || header.height === 0) return { ok: false, problem: 'unreadable' };
  if (header.width * header.height > maxPixels) return { ok: false, problem: 'too-many-pixels' };
  try {
    if (header.interlaced && !interlacedDataWithin(bytes, header)) return { ok: false, problem: 'unreadable' };
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, data: png.data };
  } catch {
    return { ok: false, problem: 'unreadable' };
  }
}

// Adam7 passes: x start, y start, x step, y step (PNG specification, 8.2).
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** Whether the IDAT stream of an interlaced PNG inflates to no more than its header implies. */
function interlacedDataWithin(bytes: Uint8Array, header: PngHeader): boolean {
  const bitsPerPixel = (CHANNELS[header.colorType] ?? 4) * header.bitDepth;
  let expected = 0;
  for (const [xs, ys, dx, dy] of ADAM7) {
    const w = Math.ceil((header.width - xs) / dx);
    const h = Math.ceil((header.height - ys) / dy);
    if (w > 0 && h > 0) expected += h * (1 + Math.ceil((w * bitsPerPixel) / 8));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    if (chunkType(bytes, at + 4) === 'IDAT')
      parts.push(bytes.subarray(at + 8, Math.min(bytes.length, at + 8 + length)));
    at += 12 + length;
  }
  try {
    inflateSync(Buffer.concat(parts), { maxOutputLength: Math.max(1, expected) });
    return true;
  } catch {
    return false;
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
export function toBedrockMask(mask: DecodedPng, maskIs: MaskRole): Uint8Array {
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
