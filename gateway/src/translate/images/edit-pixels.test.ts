import { crc32, deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it, vi } from 'vitest';
import runEditPixelJob, { decodePngWithin, pngMayBeTransparent, readPngHeader } from './edit-pixels.js';

function png(width: number, height: number, rgba: (x: number, y: number) => number[], colorType: 2 | 6 = 6) {
  const img = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) img.data.set(rgba(x, y), (y * width + x) * 4);
  return new Uint8Array(PNG.sync.write(img, { colorType }));
}

/** A hand-built PNG: signature, IHDR, one IDAT holding `idat`, IEND. */
function rawPng(width: number, height: number, opts: { colorType: number; interlace: number; idat: Uint8Array }) {
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    out.set(data, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = opts.colorType;
  ihdr[12] = opts.interlace;
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', opts.idat),
      chunk('IEND', new Uint8Array()),
    ]),
  );
}

const transparentLeft = png(4, 2, (x) => (x < 2 ? [0, 0, 0, 0] : [10, 20, 30, 255]));

describe('reading PNG headers', () => {
  it('reads IHDR and refuses bytes whose first chunk is not IHDR', () => {
    expect(readPngHeader(transparentLeft)).toEqual({
      width: 4,
      height: 2,
      bitDepth: 8,
      colorType: 6,
      interlaced: false,
    });
    const broken = transparentLeft.slice();
    broken.set([0x58, 0x58, 0x58, 0x58], 12);
    expect(readPngHeader(broken)).toBeUndefined();
  });

  it('knows from the chunk headers alone that an RGB PNG without tRNS has no transparent pixel', () => {
    expect(pngMayBeTransparent(png(8, 8, () => [1, 2, 3, 255], 2))).toBe(false);
    expect(pngMayBeTransparent(transparentLeft)).toBe(true);
  });
});

describe('the pixel job', () => {
  it('turns transparency into a black edit mask and an opaque source', () => {
    const result = runEditPixelJob({ op: 'alpha', image: transparentLeft, maskIs: 'edit-region', maxPixels: 100 });
    if (!result.ok || result.op !== 'alpha' || !result.transparent) throw new Error('expected a transparent result');
    const mask = PNG.sync.read(Buffer.from(result.mask));
    expect([0, 1, 2, 3].map((x) => mask.data[x * 4])).toEqual([0, 0, 255, 255]);
    const image = PNG.sync.read(Buffer.from(result.image));
    expect([0, 1, 2, 3].map((x) => image.data[x * 4 + 3])).toEqual([255, 255, 255, 255]);
  });

  it('refuses a PNG whose header promises more pixels than allowed, without decoding it', () => {
    // The header says 8000x8000 but there is no image data: only a decode would notice.
    const hostile = rawPng(8000, 8000, { colorType: 6, interlace: 0, idat: new Uint8Array() });
    expect(runEditPixelJob({ op: 'mask', mask: hostile, maskIs: 'edit-region', maxPixels: 4_194_304 })).toEqual({
      ok: false,
      problem: 'too-many-pixels',
    });
  });

  it('refuses an interlaced PNG whose data inflates beyond what its header implies (a zip bomb)', () => {
    // 16x16 RGBA interlaced needs well under 2 KB; this stream inflates to 8 MB of zeros.
    const bomb = rawPng(16, 16, { colorType: 6, interlace: 1, idat: deflateSync(Buffer.alloc(8 * 1024 * 1024)) });
    // pngjs would inflate all of it before noticing; the bound stops it before pngjs is called.
    const read = vi.spyOn(PNG.sync, 'read');
    try {
      expect(decodePngWithin(bomb, 1_000_000)).toEqual({ ok: false, problem: 'unreadable' });
      expect(read).not.toHaveBeenCalled();
      // The bound is exact, not a guess: a real interlaced 1x1 pixel (filter byte + RGBA) still decodes.
      const pixel = rawPng(1, 1, { colorType: 6, interlace: 1, idat: deflateSync(Buffer.from([0, 9, 8, 7, 255])) });
      const decoded = decodePngWithin(pixel, 1);
      expect('data' in decoded && [...decoded.data]).toEqual([9, 8, 7, 255]);
      expect(read).toHaveBeenCalledTimes(1);
    } finally {
      read.mockRestore();
    }
  });

  it('answers unreadable bytes with a result, never an exception', () => {
    expect(runEditPixelJob({ op: 'alpha', image: new Uint8Array(10), maskIs: 'edit-region', maxPixels: 100 })).toEqual({
      ok: false,
      problem: 'unreadable',
    });
  });
});
