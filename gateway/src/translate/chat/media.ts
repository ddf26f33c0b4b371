/**
 * OpenAI media parts (`image_url`, `file`) → Bedrock `image` / `document` blocks.
 *
 * Bedrock wants an exact lowercase format (`jpeg`, never `jpg`) and rejects bytes that do not
 * match it, so image formats come from the bytes' magic numbers; the declared MIME type is only a
 * fallback for document types that have no signature (csv, html, txt, md). Document names must be
 * 1–200 characters of alphanumerics, single spaces, `-`, `()` and `[]`; they are derived from the
 * filename or, without one, from a content hash, so the same file always gets the same name (random
 * names change the prompt prefix and defeat prompt caching).
 */
import { createHash } from 'node:crypto';
import { echo, invalidValue, unsupportedValue } from '../../errors/index.js';
import type { DocumentBlock, DocumentFormat, ImageBlock, ImageFormat } from '../../wire/bedrock/index.js';
import type { FileContentPart } from '../../wire/openai/index.js';
import { readImageInfo } from '../images/index.js';
import { isRemoteUrl } from './plan.js';

/** Bedrock per-image limit: 3.75 MB. */
export const MAX_IMAGE_BYTES = 3.75 * 1024 * 1024;
/** Bedrock per-document limit: 4.5 MB. */
export const MAX_DOCUMENT_BYTES = 4.5 * 1024 * 1024;
/** Bedrock limits per message. */
export const MAX_IMAGES_PER_MESSAGE = 20;
export const MAX_DOCUMENTS_PER_MESSAGE = 5;

export type ResolvedMedia = ReadonlyMap<string, { bytes: Uint8Array; contentType: string }>;

/** A decoded media payload: base64 for the wire, a few leading bytes for sniffing, the decoded size. */
interface Payload {
  base64: string;
  head: Uint8Array;
  size: number;
  mime: string;
  /** The first `bytes` bytes (or all, when shorter), decoded on demand. */
  prefix(bytes: number): Uint8Array;
}

/** Bedrock (Converse) refuses images larger than 8000 pixels on either side (Nova and Claude user guides). */
export const MAX_IMAGE_SIDE = 8000;
/** How far into a JPEG its frame header (SOF) is looked for; EXIF and ICC segments come before it. */
const JPEG_HEADER_SCAN_BYTES = 256 * 1024;

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const WHITESPACE_RE = /\s/;

/** Image format from magic numbers (PNG, JPEG, GIF, WebP), or undefined. */
export function sniffImageFormat(head: Uint8Array): ImageFormat | undefined {
  if (head.length >= 8 && head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47) return 'png';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 4 && head[0] === 0x47 && head[1] === 0x49 && head[2] === 0x46 && head[3] === 0x38) return 'gif';
  if (
    head.length >= 12 &&
    head[0] === 0x52 &&
    head[1] === 0x49 &&
    head[2] === 0x46 &&
    head[3] === 0x46 &&
    head[8] === 0x57 &&
    head[9] === 0x45 &&
    head[10] === 0x42 &&
    head[11] === 0x50
  ) {
    return 'webp';
  }
  return undefined;
}

/**
 * Normalises a base64 payload to standard, padded base64 (Bedrock's blob encoding): strips line
 * breaks some clients insert, accepts base64url, adds missing padding.
 */
function normaliseBase64(raw: string, param: string): string {
  let b64 = WHITESPACE_RE.test(raw) ? raw.replace(/\s+/g, '') : raw;
  if (b64.includes('-') || b64.includes('_')) b64 = b64.replace(/-/g, '+').replace(/_/g, '/');
  const rem = b64.length % 4;
  if (rem === 1) throw invalidValue(`Invalid base64 data in '${param}'.`, param);
  if (rem > 0) b64 += '='.repeat(4 - rem);
  if (!BASE64_RE.test(b64)) throw invalidValue(`Invalid base64 data in '${param}'.`, param);
  return b64;
}

/**
 * Longest base64 text that can still decode to at most `maxBytes`: 4 characters per 3 bytes, plus the
 * line breaks MIME encoders insert (CRLF every 76 characters) and padding. Checked before the payload is
 * scanned, so the scans of one part never cover more than Bedrock could accept.
 */
function maxBase64Chars(maxBytes: number): number {
  const chars = Math.ceil(maxBytes / 3) * 4;
  return chars + Math.ceil(chars / 76) * 2 + 4;
}

function payloadFromBase64(
  raw: string,
  mime: string,
  param: string,
  limit: { bytes: number; what: 'Image' | 'File' },
): Payload {
  if (raw.length > maxBase64Chars(limit.bytes))
    throw invalidValue(
      `${limit.what} too large in '${param}': about ${mb((raw.length / 4) * 3)}; Bedrock accepts ${limit.what === 'Image' ? 'images up to 3.75 MB' : 'documents up to 4.5 MB and images up to 3.75 MB'}.`,
      param,
    );
  const base64 = normaliseBase64(raw, param);
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return {
    base64,
    head: Buffer.from(base64.slice(0, 48), 'base64'),
    size: (base64.length / 4) * 3 - padding,
    mime,
    prefix: (bytes) => Buffer.from(base64.slice(0, Math.ceil(bytes / 3) * 4), 'base64'),
  };
}

function payloadFromBytes(bytes: Uint8Array, mime: string): Payload {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    base64: buffer.toString('base64'),
    head: bytes.subarray(0, 36),
    size: bytes.byteLength,
    mime,
    prefix: (n) => bytes.subarray(0, n),
  };
}

/** Splits `data:<mime>[;params],<data>`; returns undefined when `url` is not a data URI. */
function parseDataUri(url: string, param: string): { mime: string; base64: boolean; data: string } | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  if (comma < 0) throw invalidValue(`Invalid data URI in '${param}': missing ','.`, param);
  const meta = url.slice(5, comma).split(';');
  const mime = (meta[0] ?? '').trim().toLowerCase();
  const base64 = meta.slice(1).some((p) => p.trim().toLowerCase() === 'base64');
  return { mime, base64, data: url.slice(comma + 1) };
}

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(2)} MB`;
}

function imageBlockFromPayload(payload: Payload, param: string): ImageBlock {
  const format = sniffImageFormat(payload.head);
  if (!format) {
    throw unsupportedValue(
      param,
      `the image (declared as '${echo(payload.mime || 'unknown')}') is not PNG, JPEG, GIF or WebP, the formats Bedrock accepts.`,
    );
  }
  if (payload.size > MAX_IMAGE_BYTES) {
    throw invalidValue(
      `Image too large in '${param}': ${mb(payload.size)}; Bedrock accepts images up to 3.75 MB.`,
      param,
    );
  }
  const size = imageDimensions(format, payload);
  if (size && (size.width > MAX_IMAGE_SIDE || size.height > MAX_IMAGE_SIDE)) {
    throw invalidValue(
      `Image too large in '${param}': ${size.width}x${size.height} pixels; Bedrock accepts images up to ${MAX_IMAGE_SIDE}x${MAX_IMAGE_SIDE} pixels.`,
      param,
    );
  }
  return { format, source: { bytes: payload.base64 } };
}

/**
 * Width and height from the image's header (PNG IHDR, GIF screen descriptor, WebP VP8/VP8L/VP8X, JPEG SOF
 * within its first 256 KiB), or undefined when the header does not say. Nothing is decoded into pixels.
 */
function imageDimensions(format: ImageFormat, payload: Payload): { width: number; height: number } | undefined {
  const h = payload.head;
  switch (format) {
    case 'png':
    case 'jpeg': {
      const info = readImageInfo(format === 'png' ? h : payload.prefix(JPEG_HEADER_SCAN_BYTES));
      return info ? { width: info.width, height: info.height } : undefined;
    }
    case 'gif':
      return h.length >= 10 ? { width: u16le(h, 6), height: u16le(h, 8) } : undefined;
    case 'webp': {
      if (h.length < 30) return undefined;
      const chunk = String.fromCharCode(h[12] as number, h[13] as number, h[14] as number, h[15] as number);
      if (chunk === 'VP8X') return { width: 1 + u24le(h, 24), height: 1 + u24le(h, 27) };
      if (chunk === 'VP8 ') return { width: u16le(h, 26) & 0x3fff, height: u16le(h, 28) & 0x3fff };
      if (chunk === 'VP8L') {
        const bits =
          (h[21] as number) | ((h[22] as number) << 8) | ((h[23] as number) << 16) | ((h[24] as number) << 24);
        return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
      }
      return undefined;
    }
    default: {
      const unreachable: never = format;
      return unreachable;
    }
  }
}

function u16le(b: Uint8Array, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8);
}

function u24le(b: Uint8Array, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16);
}

/**
 * An `image_url` → Bedrock image block. Data URIs are decoded here; http(s) URLs must already be
 * in `resolved` (fetched by the media fetcher before translation).
 */
export function toImageBlock(url: string, resolved: ResolvedMedia | undefined, param: string): ImageBlock {
  const data = parseDataUri(url, param);
  if (data) {
    if (!data.base64) throw invalidValue(`Invalid image data URI in '${param}': only base64 data is supported.`, param);
    return imageBlockFromPayload(
      payloadFromBase64(data.data, data.mime, param, { bytes: MAX_IMAGE_BYTES, what: 'Image' }),
      param,
    );
  }
  if (isRemoteUrl(url)) {
    const media = resolved?.get(url);
    if (!media) {
      throw invalidValue(`The image at '${param}' could not be retrieved; send it as a base64 data URI.`, param);
    }
    return imageBlockFromPayload(payloadFromBytes(media.bytes, media.contentType), param);
  }
  throw invalidValue(`Invalid image URL in '${param}': expected a base64 data URI or an http(s) URL.`, param);
}

const DOCUMENT_MIME: Readonly<Record<string, DocumentFormat>> = {
  'application/pdf': 'pdf',
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'text/html': 'html',
  'text/plain': 'txt',
  'text/markdown': 'md',
  'text/x-markdown': 'md',
};

const DOCUMENT_EXTENSIONS: ReadonlySet<string> = new Set([
  'pdf',
  'csv',
  'doc',
  'docx',
  'xls',
  'xlsx',
  'html',
  'txt',
  'md',
]);

function extensionOf(filename: string | undefined): string | undefined {
  if (!filename) return undefined;
  const dot = filename.lastIndexOf('.');
  if (dot <= 0 || dot === filename.length - 1) return undefined;
  const ext = filename.slice(dot + 1).toLowerCase();
  if (ext === 'htm') return 'html';
  if (ext === 'markdown') return 'md';
  return ext;
}

const PDF_MAGIC = [0x25, 0x50, 0x44, 0x46]; // %PDF
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]; // docx / xlsx containers
const OLE_MAGIC = [0xd0, 0xcf, 0x11, 0xe0]; // doc / xls containers

function startsWith(head: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((b, i) => head[i] === b);
}

/** The document format from magic numbers, MIME type and file extension, checked against each other. */
function documentFormat(payload: Payload, filename: string | undefined, param: string): DocumentFormat {
  const ext = extensionOf(filename);
  const declared =
    DOCUMENT_MIME[payload.mime] ?? (ext && DOCUMENT_EXTENSIONS.has(ext) ? (ext as DocumentFormat) : undefined);
  if (startsWith(payload.head, PDF_MAGIC)) return 'pdf';
  if (startsWith(payload.head, ZIP_MAGIC)) {
    if (declared === 'docx' || declared === 'xlsx') return declared;
  } else if (startsWith(payload.head, OLE_MAGIC)) {
    if (declared === 'doc' || declared === 'xls') return declared;
  } else if (declared === 'csv' || declared === 'html' || declared === 'txt' || declared === 'md') {
    return declared;
  }
  throw unsupportedValue(
    param,
    `the file${filename ? ` '${echo(filename)}'` : ''} (declared as '${echo(payload.mime || ext || 'unknown')}') is not a document type Bedrock accepts (pdf, csv, doc, docx, xls, xlsx, html, txt, md), or its content does not match its type.`,
  );
}

const NAME_ILLEGAL_RE = /[^A-Za-z0-9\s\-()[\]]+/g;

/**
 * A Bedrock document name from a filename: extension dropped, every run of characters outside
 * Bedrock's charset replaced by `-`, whitespace collapsed to single spaces, at most 200 characters.
 * Falls back to `document-<first 16 hex of SHA-256(content)>` so the same bytes get the same name.
 */
export function documentName(filename: string | undefined, base64: string): string {
  if (filename) {
    const dot = filename.lastIndexOf('.');
    const stem = dot > 0 ? filename.slice(0, dot) : filename;
    const name = stem.replace(NAME_ILLEGAL_RE, '-').replace(/\s+/g, ' ').trim().slice(0, 200).trim();
    if (/[A-Za-z0-9]/.test(name)) return name;
  }
  return `document-${createHash('sha256').update(base64).digest('hex').slice(0, 16)}`;
}

export type FileBlock = { image: ImageBlock } | { document: DocumentBlock };

/**
 * A `file` part → a Bedrock document block (or an image block when the file is an image).
 * `file_data` is a data URI or bare base64; `file_id` (uploaded files) cannot be used in chat input.
 */
export function toFileBlock(file: FileContentPart['file'], param: string): FileBlock {
  if (file.file_data === undefined) {
    throw unsupportedValue(
      `${param}.file.file_id`,
      'uploaded file ids cannot be used in chat messages on Bedrock; send the content as file_data.',
    );
  }
  const dataParam = `${param}.file.file_data`;
  const data = parseDataUri(file.file_data, dataParam);
  if (data && !data.base64) {
    throw invalidValue(`Invalid data URI in '${dataParam}': only base64 data is supported.`, dataParam);
  }
  const mime = (data?.mime || file.format || '').toLowerCase();
  const payload = payloadFromBase64(data ? data.data : file.file_data, mime, dataParam, {
    bytes: Math.max(MAX_DOCUMENT_BYTES, MAX_IMAGE_BYTES),
    what: 'File',
  });
  if (sniffImageFormat(payload.head) || mime.startsWith('image/')) {
    return { image: imageBlockFromPayload(payload, dataParam) };
  }
  const format = documentFormat(payload, file.filename, dataParam);
  if (payload.size > MAX_DOCUMENT_BYTES) {
    throw invalidValue(
      `Document too large in '${dataParam}': ${mb(payload.size)}; Bedrock accepts documents up to 4.5 MB.`,
      dataParam,
    );
  }
  return { document: { format, name: documentName(file.filename, payload.base64), source: { bytes: payload.base64 } } };
}
