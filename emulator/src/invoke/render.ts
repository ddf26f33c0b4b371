/**
 * Deterministic image output for the image-model handlers: small, valid PNGs at the requested size whose
 * pixels derive from the request, encoded with pngjs. The `sub` row filter keeps flat fills to a few KB
 * and encodes a 1024×1024 image in tens of milliseconds.
 */
import { PNG } from 'pngjs';
import { validationException } from '../errors.js';
import { digest } from './body-checks.js';
import { decodePng, readImageInfo } from './image-bytes.js';

export type Rgb = readonly [number, number, number];

/** A colour from the request: equal inputs give equal pictures. */
export function colourFor(...parts: ReadonlyArray<string | number>): Rgb {
  const d = digest(...parts);
  return [d[0] as number, d[1] as number, d[2] as number];
}

function encode(png: PNG): string {
  return PNG.sync.write(png, { colorType: 2, filterType: 1 }).toString('base64');
}

/** A solid `width`×`height` PNG, base64. */
export function solidPng(width: number, height: number, colour: Rgb): string {
  const png = new PNG({ width, height, colorType: 2, inputHasAlpha: true });
  const [r, g, b] = colour;
  const d = png.data;
  for (let i = 0; i < d.length; i += 4) {
    d[i] = r;
    d[i + 1] = g;
    d[i + 2] = b;
    d[i + 3] = 255;
  }
  return encode(png);
}

/** An uploaded image as the handlers see it. */
export interface InputImage {
  bytes: Buffer;
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes a base64 image member, rejecting what Bedrock cannot read. */
export function readInputImage(value: string, path: string): InputImage {
  const bytes = BASE64_RE.test(value) ? Buffer.from(value, 'base64') : undefined;
  const info = bytes ? readImageInfo(bytes) : undefined;
  if (!bytes || !info)
    throw validationException(
      `Unable to read the image at ${path}. Supported formats are PNG and JPEG, sent as base64.`,
    );
  return { bytes, ...info };
}

/**
 * Paints `colour` into the region a Bedrock mask selects: black pixels when `paint` is `black`
 * (INPAINTING: black = change), white pixels when `paint` is `white` (OUTPAINTING: black = keep).
 * With no readable PNG source the result is a solid fill at the source size.
 */
export function paintMasked(
  source: InputImage,
  mask: InputImage | 'centre',
  colour: Rgb,
  paint: 'black' | 'white',
): string {
  if (source.format !== 'png') return solidPng(source.width, source.height, colour);
  const src = decodePng(source.bytes, 'image');
  const out = new PNG({ width: src.width, height: src.height, colorType: 2, inputHasAlpha: true });
  const m = mask === 'centre' ? undefined : decodePng(mask.bytes, 'mask');
  for (let y = 0; y < src.height; y++)
    for (let x = 0; x < src.width; x++) {
      const i = (y * src.width + x) * 4;
      let selected: boolean;
      if (m) {
        const black = ((m.data[i] as number) + (m.data[i + 1] as number) + (m.data[i + 2] as number)) / 3 < 128;
        selected = paint === 'black' ? black : !black;
      } else {
        // A mask prompt "finds" the middle half of the picture.
        const inside = x >= src.width / 4 && x < (3 * src.width) / 4 && y >= src.height / 4 && y < (3 * src.height) / 4;
        selected = paint === 'black' ? inside : !inside;
      }
      out.data[i] = selected ? colour[0] : (src.data[i] as number);
      out.data[i + 1] = selected ? colour[1] : (src.data[i + 1] as number);
      out.data[i + 2] = selected ? colour[2] : (src.data[i + 2] as number);
      out.data[i + 3] = 255;
    }
  return encode(out);
}
