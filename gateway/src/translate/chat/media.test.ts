import { describe, expect, it } from 'vitest';
import type { CompiledModel } from '../../config/index.js';
import { isGatewayError } from '../../errors/index.js';
import { getCapabilities } from '../../models/index.js';
import { documentName, MAX_IMAGE_BYTES, sniffImageFormat, toFileBlock, toImageBlock } from './media.js';
import { parseChatCompletionRequest } from './parse-request.js';
import { remoteMediaTargets, remoteMediaUrls } from './plan.js';
import { toConverseRequest } from './to-converse.js';

const PNG_HEAD = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const png = (size: number) => {
  const bytes = new Uint8Array(size);
  bytes.set(PNG_HEAD);
  return bytes;
};
const dataUri = (bytes: Uint8Array, mime = 'image/png') =>
  `data:${mime};base64,${Buffer.from(bytes).toString('base64')}`;

const claude: CompiledModel = {
  servedName: 'acct/claude',
  account: 'acct',
  name: 'claude',
  modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  region: 'us-east-1',
  type: 'chat',
  family: 'anthropic',
};

function errorOf(fn: () => unknown): { code: string; param: string | null; message: string } {
  try {
    fn();
  } catch (error) {
    if (isGatewayError(error)) return { code: error.code, param: error.param, message: error.message };
    throw error;
  }
  throw new Error('expected a GatewayError');
}

describe('images', () => {
  it('sniffs the four Bedrock image formats from their magic numbers', () => {
    expect(sniffImageFormat(png(16))).toBe('png');
    expect(sniffImageFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xdb]))).toBe('jpeg');
    expect(sniffImageFormat(new Uint8Array(Buffer.from('GIF87a')))).toBe('gif');
    expect(sniffImageFormat(new Uint8Array(Buffer.from('RIFF\0\0\0\0WEBPVP8L')))).toBe('webp');
    expect(sniffImageFormat(new Uint8Array(Buffer.from('BM6\0\0\0')))).toBeUndefined();
  });

  it('accepts an image exactly at the 3.75 MB limit and refuses one byte more', () => {
    expect(toImageBlock(dataUri(png(MAX_IMAGE_BYTES)), undefined, 'p').format).toBe('png');
    const err = errorOf(() => toImageBlock(dataUri(png(MAX_IMAGE_BYTES + 1)), undefined, 'p'));
    expect(err.code).toBe('invalid_value');
    expect(err.message).toContain('3.75 MB');
  });

  it('refuses a data URI longer than any image Bedrock accepts before scanning it, but keeps MIME-wrapped ones at the limit', () => {
    // 18 MB of characters that are not even base64: refused by length, so the validating scans never run.
    const huge = `data:image/png;base64,${'@'.repeat(18 * 1024 * 1024)}`;
    const err = errorOf(() => toImageBlock(huge, undefined, 'p'));
    expect(err).toMatchObject({ code: 'invalid_value', param: 'p' });
    expect(err.message).toContain('Image too large');
    // At the limit and wrapped with CRLF every 76 characters (MIME) it still goes through.
    const wrapped = (
      Buffer.from(png(MAX_IMAGE_BYTES))
        .toString('base64')
        .match(/.{1,76}/g) ?? []
    ).join('\r\n');
    expect(toImageBlock(`data:image/png;base64,${wrapped}`, undefined, 'p').format).toBe('png');
  });

  it('refuses images wider or taller than 8000 pixels from their headers, in every format, and accepts 8000', () => {
    const pngOf = (w: number, h: number) => {
      const b = Buffer.alloc(64);
      b.set(PNG_HEAD);
      b.writeUInt32BE(13, 8);
      b.write('IHDR', 12, 'latin1');
      b.writeUInt32BE(w, 16);
      b.writeUInt32BE(h, 20);
      return new Uint8Array(b);
    };
    const gifOf = (w: number, h: number) => {
      const b = Buffer.alloc(32);
      b.write('GIF89a', 0, 'latin1');
      b.writeUInt16LE(w, 6);
      b.writeUInt16LE(h, 8);
      return new Uint8Array(b);
    };
    const webpOf = (w: number, h: number) => {
      const b = Buffer.alloc(40);
      b.write('RIFF', 0, 'latin1');
      b.write('WEBPVP8X', 8, 'latin1');
      b.writeUIntLE(w - 1, 24, 3);
      b.writeUIntLE(h - 1, 27, 3);
      return new Uint8Array(b);
    };
    // A JPEG whose frame header follows 100 KB of EXIF-like segments.
    const jpegOf = (w: number, h: number) => {
      const app = Buffer.alloc(4 + 65_533);
      app.set([0xff, 0xe1, 0xff, 0xff]);
      const sof = Buffer.from([
        0xff,
        0xc0,
        0x00,
        0x11,
        0x08,
        h >> 8,
        h & 0xff,
        w >> 8,
        w & 0xff,
        3,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
      ]);
      return new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xd8]), app, app, sof, Buffer.alloc(32)]));
    };
    const mimes = { png: 'image/png', gif: 'image/gif', webp: 'image/webp', jpeg: 'image/jpeg' } as const;
    for (const [format, make] of [
      ['png', pngOf],
      ['gif', gifOf],
      ['webp', webpOf],
      ['jpeg', jpegOf],
    ] as const) {
      const err = errorOf(() => toImageBlock(dataUri(make(9000, 100), mimes[format]), undefined, 'p'));
      expect(err, format).toMatchObject({ code: 'invalid_value', param: 'p' });
      expect(err.message, format).toContain('9000x100 pixels');
      expect(toImageBlock(dataUri(make(8000, 8000), mimes[format]), undefined, 'p').format, format).toBe(format);
    }
    // Fetched images are checked the same way.
    const url = 'https://example.com/wide.png';
    const resolved = new Map([[url, { bytes: pngOf(100, 12_000), contentType: 'image/png' }]]);
    expect(errorOf(() => toImageBlock(url, resolved, 'p')).message).toContain('100x12000');
  });

  it('applies the size limit to fetched images too', () => {
    const url = 'https://example.com/big.png';
    const resolved = new Map([[url, { bytes: png(MAX_IMAGE_BYTES + 10), contentType: 'image/png' }]]);
    expect(errorOf(() => toImageBlock(url, resolved, 'p')).code).toBe('invalid_value');
  });

  it('normalises line-wrapped and base64url payloads to standard padded base64', () => {
    const bytes = png(20);
    bytes[19] = 0xfb; // produces '+' / '-' in the encodings
    const standard = Buffer.from(bytes).toString('base64');
    const wrapped = `data:image/png;base64,${standard.slice(0, 10)}\n${standard.slice(10)}`;
    expect(toImageBlock(wrapped, undefined, 'p').source).toEqual({ bytes: standard });
    const url = Buffer.from(bytes).toString('base64url');
    expect(toImageBlock(`data:image/png;base64,${url}`, undefined, 'p').source).toEqual({ bytes: standard });
  });

  it('refuses non-base64 data URIs and garbage payloads', () => {
    expect(errorOf(() => toImageBlock('data:image/png,rawbytes', undefined, 'p')).code).toBe('invalid_value');
    expect(errorOf(() => toImageBlock('data:image/png;base64,@@@@', undefined, 'p')).code).toBe('invalid_value');
    expect(errorOf(() => toImageBlock('ftp://example.com/a.png', undefined, 'p')).code).toBe('invalid_value');
  });

  it('refuses a 21st image in one turn', () => {
    const parts = Array.from({ length: 21 }, () => ({ type: 'image_url', image_url: { url: dataUri(png(16)) } }));
    const request = parseChatCompletionRequest({ model: 'm', messages: [{ role: 'user', content: parts }] });
    const err = errorOf(() => toConverseRequest(request, { model: claude, capabilities: getCapabilities(claude) }));
    expect(err).toMatchObject({ code: 'invalid_value', param: 'messages[0]' });
    expect(err.message).toContain('20');
  });
});

describe('documents', () => {
  const pdf = Buffer.from('%PDF-1.7\n').toString('base64');

  it('derives stable names from filenames within Bedrock charset', () => {
    expect(documentName('Q3 report.final.pdf', pdf)).toBe('Q3 report-final');
    expect(documentName('résumé   2024 (draft).docx', pdf)).toBe('r-sum- 2024 (draft)');
    expect(documentName('a'.repeat(300), pdf)).toHaveLength(200);
    expect(documentName('...', pdf)).toMatch(/^document-[0-9a-f]{16}$/);
    expect(documentName(undefined, pdf)).toBe(documentName(undefined, pdf));
    expect(documentName(undefined, pdf)).not.toBe(documentName(undefined, Buffer.from('%PDF-1.6').toString('base64')));
  });

  it('refuses documents over 4.5 MB', () => {
    const big = Buffer.alloc(4.5 * 1024 * 1024 + 1);
    big.write('%PDF-1.7');
    const err = errorOf(() => toFileBlock({ filename: 'big.pdf', file_data: big.toString('base64') }, 'p'));
    expect(err.code).toBe('invalid_value');
    expect(err.message).toContain('4.5 MB');
  });

  it('takes text formats from the MIME type or extension', () => {
    const md = Buffer.from('# Title\n').toString('base64');
    expect(toFileBlock({ filename: 'README.md', file_data: md }, 'p')).toMatchObject({
      document: { format: 'md', name: 'README' },
    });
    expect(toFileBlock({ file_data: `data:text/html;base64,${md}` }, 'p')).toMatchObject({
      document: { format: 'html' },
    });
  });

  it('treats an image sent as a file as an image', () => {
    expect(toFileBlock({ filename: 'x.png', file_data: dataUri(png(16)) }, 'p')).toMatchObject({
      image: { format: 'png' },
    });
  });

  it('refuses a 6th document in one turn', () => {
    const parts = Array.from({ length: 6 }, (_, i) => ({
      type: 'file',
      file: { filename: `doc${i}.pdf`, file_data: `data:application/pdf;base64,${pdf}` },
    }));
    const request = parseChatCompletionRequest({ model: 'm', messages: [{ role: 'user', content: parts }] });
    const err = errorOf(() => toConverseRequest(request, { model: claude, capabilities: getCapabilities(claude) }));
    expect(err).toMatchObject({ code: 'invalid_value', param: 'messages[0]' });
  });
});

describe('remoteMediaUrls', () => {
  it('lists each http(s) image URL of user and tool messages once, in order', () => {
    const request = parseChatCompletionRequest({
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'https://a.example/1.png' } },
            { type: 'image_url', image_url: { url: dataUri(png(16)) } },
            { type: 'image_url', image_url: { url: 'HTTP://b.example/2.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: 'ok',
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        {
          role: 'tool',
          tool_call_id: 'c',
          content: [{ type: 'image_url', image_url: { url: 'https://a.example/1.png' } }],
        },
        {
          role: 'tool',
          tool_call_id: 'c',
          content: [{ type: 'image_url', image_url: { url: 'https://c.example/3.gif' } }],
        },
      ],
    });
    expect(remoteMediaUrls(request)).toEqual([
      'https://a.example/1.png',
      'HTTP://b.example/2.jpg',
      'https://c.example/3.gif',
    ]);
    expect(remoteMediaTargets(request)).toEqual([
      { url: 'https://a.example/1.png', param: 'messages[0].content[0].image_url.url' },
      { url: 'HTTP://b.example/2.jpg', param: 'messages[0].content[2].image_url.url' },
      { url: 'https://c.example/3.gif', param: 'messages[3].content[0].image_url.url' },
    ]);
  });
});
