/**
 * Converse / ConverseStream request validation (bedrock-wire.md §2). Each rule raises the
 * ValidationException real Bedrock raises, with Bedrock's (or the model provider's) message where the
 * spec or the providers give one; docs/emulator.md lists every message. The first failing rule wins.
 */

import type { CatalogModel } from '../catalog.js';
import { type BedrockException, constraintException, coralPath, validationException } from '../errors.js';
import { verifyReasoningSignature, verifyRedactedContent } from './reasoning.js';
import type {
  ContentBlock,
  ConverseRequest,
  JsonObject,
  Message,
  SystemBlock,
  ToolChoice,
  ToolEntry,
  ToolResultContent,
} from './types.js';

const TOP_LEVEL_KEYS = [
  'messages',
  'system',
  'inferenceConfig',
  'toolConfig',
  'guardrailConfig',
  'additionalModelRequestFields',
  'additionalModelResponseFieldPaths',
  'promptVariables',
  'requestMetadata',
  'performanceConfig',
  'serviceTier',
  'outputConfig',
];
const CONTENT_MEMBERS = [
  'text',
  'image',
  'document',
  'video',
  'audio',
  'toolUse',
  'toolResult',
  'guardContent',
  'cachePoint',
  'reasoningContent',
  'citationsContent',
  'searchResult',
];
const IMAGE_FORMATS = ['png', 'jpeg', 'gif', 'webp'];
const DOCUMENT_FORMATS = ['pdf', 'csv', 'doc', 'docx', 'xls', 'xlsx', 'html', 'txt', 'md'];
/** Bedrock docs: each image ≤ 3.75 MB, ≤ 20 images per request. */
export const MAX_IMAGE_BYTES = 3.75 * 1024 * 1024;
export const MAX_IMAGES = 20;
/** Bedrock docs: each document ≤ 4.5 MB, ≤ 5 documents per request. */
export const MAX_DOCUMENT_BYTES = 4.5 * 1024 * 1024;
export const MAX_DOCUMENTS = 5;
/** Anthropic's limit on cache checkpoints, applied by Bedrock to every caching model. */
export const MAX_CACHE_POINTS = 4;
const TOOL_NAME_RE = /^[a-zA-Z0-9_-]+$/;
const TOOL_USE_ID_RE = /^[a-zA-Z0-9_.:-]+$/;
// "alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets", no two
// whitespace characters in a row (Converse API reference, DocumentBlock.name).
const DOCUMENT_NAME_RE = /^(?:[A-Za-z0-9\-()[\]]|\s(?!\s))+$/;
const METADATA_RE = /^[a-zA-Z0-9\s:_@$#=/+,\-.]*$/;
const MAX_TOKENS_LIMIT_DOC = 'https://docs.claude.com/en/docs/build-with-claude/extended-thinking';

/** `Malformed input request: extraneous key [k] is not permitted, ...` (Bedrock's schema-validation text). */
export function extraneousKey(key: string): BedrockException {
  return validationException(
    `Malformed input request: extraneous key [${key}] is not permitted, please reformat your input and try again.`,
  );
}

function malformed(detail: string): BedrockException {
  return validationException(`Malformed input request: ${detail}, please reformat your input and try again.`);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expectObject(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw malformed(`${path} must be an object`);
  return value;
}

function expectArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw malformed(`${path} must be an array`);
  return value;
}

function expectString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw malformed(`${path} must be a string`);
  return value;
}

function checkKeys(obj: JsonObject, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) if (!allowed.includes(key)) throw extraneousKey(key);
}

/** Returns the one member set in a union object; unknown keys are extraneous, zero or several is an error. */
function unionMember(value: unknown, path: string, members: readonly string[], unionName: string): [string, unknown] {
  const obj = expectObject(value, path);
  checkKeys(obj, members);
  const set = Object.keys(obj).filter((k) => obj[k] !== undefined && obj[k] !== null);
  if (set.length !== 1) throw malformed(`exactly one member of the union ${unionName} must be set at ${path}`);
  const member = set[0] as string;
  return [member, obj[member]];
}

/** AWS's answer for a required member that is absent (or JSON null, which rest-json reads as absent). */
function mustNotBeNull(path: string): BedrockException {
  return constraintException([{ path, value: null, constraint: 'Member must not be null' }]);
}

/** A member the service model marks required: absent or null is `Value null at '<path>' ...`. */
function required(obj: JsonObject, key: string, path: string): unknown {
  const value = obj[key];
  if (value === undefined || value === null) throw mustNotBeNull(path);
  return value;
}

function enumCheck(value: unknown, path: string, allowed: readonly string[]): string {
  // Callers pass optional members only when set, so an absent value here is a missing required member.
  if (value === undefined || value === null) throw mustNotBeNull(path);
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw constraintException([
      { path, value: String(value), constraint: `Member must satisfy enum value set: [${allowed.join(', ')}]` },
    ]);
  }
  return value;
}

function lengthCheck(value: string, path: string, min: number, max: number): void {
  if (value.length < min) {
    throw constraintException([{ path, value, constraint: `Member must have length greater than or equal to ${min}` }]);
  }
  if (value.length > max) {
    throw constraintException([{ path, value, constraint: `Member must have length less than or equal to ${max}` }]);
  }
}

function patternCheck(value: string, path: string, re: RegExp, shown: string): void {
  if (!re.test(value)) {
    throw constraintException([
      { path, value, constraint: `Member must satisfy regular expression pattern: ${shown}` },
    ]);
  }
}

function rangeCheck(value: unknown, path: string, min: number, max: number | undefined): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw malformed(`${path} must be a number`);
  if (value < min) {
    throw constraintException([
      { path, value: String(value), constraint: `Member must have value greater than or equal to ${min}` },
    ]);
  }
  if (max !== undefined && value > max) {
    throw constraintException([
      { path, value: String(value), constraint: `Member must have value less than or equal to ${max}` },
    ]);
  }
  return value;
}

function decodeBase64(value: unknown, path: string): Buffer {
  const text = expectString(value, path);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) throw malformed(`${path} is not valid base64`);
  return Buffer.from(text, 'base64');
}

/**
 * A media `bytes` member: base64 of at least one byte (the service model's blob shapes for image,
 * document, video, audio and guardrail image bytes all have `min: 1`). The value is binary, so AWS names
 * only the member, as it does for every value it does not print.
 */
function decodeBlob(value: unknown, path: string): Buffer {
  const bytes = decodeBase64(value, path);
  if (bytes.length === 0) {
    throw validationException(
      `1 validation error detected: Value at '${coralPath(path)}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    );
  }
  return bytes;
}

/** Whether `bytes` start with the magic number of the image `format`. */
export function imageMatchesFormat(bytes: Buffer, format: string): boolean {
  switch (format) {
    case 'png':
      return bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    case 'jpeg':
      return bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
    case 'gif':
      return bytes.subarray(0, 4).toString('latin1') === 'GIF8';
    case 'webp':
      return bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP';
    default:
      return false;
  }
}

export function documentMatchesFormat(bytes: Buffer, format: string): boolean {
  switch (format) {
    case 'pdf':
      return bytes.subarray(0, 5).toString('latin1') === '%PDF-';
    case 'docx':
    case 'xlsx':
      return bytes.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    case 'doc':
    case 'xls':
      return bytes.subarray(0, 8).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]));
    default:
      // Text formats: any bytes that decode as UTF-8.
      return !bytes.toString('utf8').includes('\uFFFD');
  }
}

function parseCachePoint(value: unknown, path: string): '5m' | '1h' {
  const obj = expectObject(value, path);
  checkKeys(obj, ['type', 'ttl']);
  enumCheck(obj.type, `${path}.type`, ['default']);
  if (obj.ttl === undefined) return '5m';
  return enumCheck(obj.ttl, `${path}.ttl`, ['5m', '1h']) as '5m' | '1h';
}

function parseS3Location(value: unknown, path: string): void {
  const obj = expectObject(value, path);
  checkKeys(obj, ['uri', 'bucketOwner']);
  const uri = expectString(required(obj, 'uri', `${path}.uri`), `${path}.uri`);
  patternCheck(
    uri,
    `${path}.uri`,
    /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/,
    's3://[a-z0-9][\\.\\-a-z0-9]{1,61}[a-z0-9](/.*)?',
  );
}

interface Counters {
  images: number;
  documents: number;
  cachePoints: number;
}

function parseImage(value: unknown, path: string, model: CatalogModel, counters: Counters): ContentBlock {
  if (!model.images) {
    throw validationException(
      "This model doesn't support the image content block that you provided. Try again with a supported content block.",
    );
  }
  const obj = expectObject(value, path);
  checkKeys(obj, ['format', 'source']);
  const format = enumCheck(obj.format, `${path}.format`, IMAGE_FORMATS);
  required(obj, 'source', `${path}.source`);
  const [member, source] = unionMember(obj.source, `${path}.source`, ['bytes', 's3Location'], 'ImageSource');
  let bytes: Buffer | undefined;
  if (member === 'bytes') {
    bytes = decodeBlob(source, `${path}.source.bytes`);
    if (bytes.length > MAX_IMAGE_BYTES) {
      throw validationException(`The image at ${path} is ${bytes.length} bytes; the maximum image size is 3.75 MB.`);
    }
    if (!imageMatchesFormat(bytes, format)) {
      throw validationException(
        `Unable to process the image at ${path}: the image bytes are not a valid ${format} image.`,
      );
    }
  } else {
    parseS3Location(source, `${path}.source.s3Location`);
  }
  counters.images += 1;
  if (counters.images > MAX_IMAGES) {
    throw validationException(`Too many images in the request: the maximum is ${MAX_IMAGES}.`);
  }
  return { kind: 'image', format, bytes, raw: value };
}

function parseDocument(value: unknown, path: string, model: CatalogModel, counters: Counters): ContentBlock {
  if (!model.documents) {
    throw validationException(
      "This model doesn't support the document content block that you provided. Try again with a supported content block.",
    );
  }
  const obj = expectObject(value, path);
  checkKeys(obj, ['format', 'name', 'source', 'context', 'citations']);
  const format = obj.format === undefined ? undefined : enumCheck(obj.format, `${path}.format`, DOCUMENT_FORMATS);
  const name = expectString(required(obj, 'name', `${path}.name`), `${path}.name`);
  lengthCheck(name, `${path}.name`, 1, 200);
  if (!DOCUMENT_NAME_RE.test(name)) {
    throw validationException(
      'The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can\u2019t contain more than one consecutive whitespace character.',
    );
  }
  required(obj, 'source', `${path}.source`);
  const [member, source] = unionMember(
    obj.source,
    `${path}.source`,
    ['bytes', 's3Location', 'text', 'content'],
    'DocumentSource',
  );
  let size = 0;
  let text: string | undefined;
  if (member === 'bytes') {
    const bytes = decodeBlob(source, `${path}.source.bytes`);
    size = bytes.length;
    if (size > MAX_DOCUMENT_BYTES) {
      throw validationException(`The document at ${path} is ${size} bytes; the maximum document size is 4.5 MB.`);
    }
    if (format && !documentMatchesFormat(bytes, format)) {
      throw validationException(
        `Unable to process the document at ${path}: the bytes are not a valid ${format} document.`,
      );
    }
    if (format && ['csv', 'html', 'txt', 'md'].includes(format)) text = bytes.toString('utf8');
  } else if (member === 'text') {
    text = expectString(source, `${path}.source.text`);
    size = Buffer.byteLength(text);
  } else if (member === 'content') {
    const parts = expectArray(source, `${path}.source.content`);
    text = parts
      .map((p, k) => {
        const [, t] = unionMember(p, `${path}.source.content.${k}`, ['text'], 'DocumentContentBlock');
        return expectString(t, `${path}.source.content.${k}.text`);
      })
      .join('\n');
    size = Buffer.byteLength(text);
  } else {
    parseS3Location(source, `${path}.source.s3Location`);
  }
  counters.documents += 1;
  if (counters.documents > MAX_DOCUMENTS) {
    throw validationException(`Too many documents in the request: the maximum is ${MAX_DOCUMENTS}.`);
  }
  return { kind: 'document', format, name, size, text, raw: value };
}

function parseToolResultContent(
  value: unknown,
  path: string,
  model: CatalogModel,
  counters: Counters,
): ToolResultContent {
  const [member, inner] = unionMember(
    value,
    path,
    ['json', 'text', 'image', 'document', 'video', 'searchResult'],
    'ToolResultContentBlock',
  );
  if (member === 'text') {
    const text = expectString(inner, `${path}.text`);
    // Bedrock refuses blank text blocks wherever they sit, tool results included (same rule as messages).
    if (text.trim() === '') {
      throw validationException(
        `The text field in the ToolResultContentBlock object at ${path} is blank. Add text to the text field, and try again.`,
      );
    }
    return { kind: 'text', text };
  }
  if (member === 'json') return { kind: 'json', json: inner };
  if (member === 'image') parseImage(inner, `${path}.image`, model, counters);
  if (member === 'document') parseDocument(inner, `${path}.document`, model, counters);
  return { kind: 'other', member };
}

function parseContentBlock(
  value: unknown,
  path: string,
  role: 'user' | 'assistant',
  model: CatalogModel,
  counters: Counters,
): ContentBlock {
  const [member, inner] = unionMember(value, path, CONTENT_MEMBERS, 'ContentBlock');
  switch (member) {
    case 'text': {
      const text = expectString(inner, `${path}.text`);
      if (text.trim() === '') {
        throw validationException(
          `The text field in the ContentBlock object at ${path} is blank. Add text to the text field, and try again.`,
        );
      }
      return { kind: 'text', text, raw: value };
    }
    case 'image':
    case 'document': {
      if (role !== 'user') {
        throw validationException(`The ${member} content block at ${path} is only allowed in user messages.`);
      }
      return member === 'image'
        ? parseImage(inner, `${path}.image`, model, counters)
        : parseDocument(inner, `${path}.document`, model, counters);
    }
    case 'toolUse': {
      const obj = expectObject(inner, `${path}.toolUse`);
      checkKeys(obj, ['toolUseId', 'name', 'input', 'type']);
      const toolUseId = expectString(
        required(obj, 'toolUseId', `${path}.toolUse.toolUseId`),
        `${path}.toolUse.toolUseId`,
      );
      lengthCheck(toolUseId, `${path}.toolUse.toolUseId`, 1, 64);
      patternCheck(toolUseId, `${path}.toolUse.toolUseId`, TOOL_USE_ID_RE, '^[a-zA-Z0-9_\\.:-]+$');
      const name = expectString(required(obj, 'name', `${path}.toolUse.name`), `${path}.toolUse.name`);
      lengthCheck(name, `${path}.toolUse.name`, 1, 64);
      patternCheck(name, `${path}.toolUse.name`, TOOL_NAME_RE, '^[a-zA-Z0-9_-]+$');
      required(obj, 'input', `${path}.toolUse.input`);
      if (role !== 'assistant') {
        throw validationException(`The toolUse content block at ${path} is only allowed in assistant messages.`);
      }
      return { kind: 'toolUse', toolUseId, name, input: obj.input, raw: value };
    }
    case 'toolResult': {
      const obj = expectObject(inner, `${path}.toolResult`);
      checkKeys(obj, ['toolUseId', 'content', 'status', 'type']);
      const toolUseId = expectString(
        required(obj, 'toolUseId', `${path}.toolResult.toolUseId`),
        `${path}.toolResult.toolUseId`,
      );
      lengthCheck(toolUseId, `${path}.toolResult.toolUseId`, 1, 64);
      patternCheck(toolUseId, `${path}.toolResult.toolUseId`, TOOL_USE_ID_RE, '^[a-zA-Z0-9_\\.:-]+$');
      const status =
        obj.status === undefined ? undefined : enumCheck(obj.status, `${path}.toolResult.status`, ['success', 'error']);
      const content = expectArray(
        required(obj, 'content', `${path}.toolResult.content`),
        `${path}.toolResult.content`,
      ).map((c, k) => parseToolResultContent(c, `${path}.toolResult.content.${k}`, model, counters));
      if (status === 'error' && content.length === 0) {
        throw validationException(
          `The content field at ${path}.toolResult cannot be empty when status value is error.`,
        );
      }
      if (role !== 'user') {
        throw validationException(`The toolResult content block at ${path} is only allowed in user messages.`);
      }
      return { kind: 'toolResult', toolUseId, content, status, raw: value };
    }
    case 'cachePoint':
      counters.cachePoints += 1;
      return { kind: 'cachePoint', ttl: parseCachePoint(inner, `${path}.cachePoint`), raw: value };
    case 'reasoningContent': {
      const [rm, rv] = unionMember(
        inner,
        `${path}.reasoningContent`,
        ['reasoningText', 'redactedContent'],
        'ReasoningContentBlock',
      );
      if (role !== 'assistant') {
        throw validationException(`The reasoningContent block at ${path} is only allowed in assistant messages.`);
      }
      if (rm === 'redactedContent') {
        return {
          kind: 'reasoning',
          text: undefined,
          signature: undefined,
          redacted: expectString(rv, `${path}.reasoningContent.redactedContent`),
          raw: value,
        };
      }
      const obj = expectObject(rv, `${path}.reasoningContent.reasoningText`);
      checkKeys(obj, ['text', 'signature']);
      const text = expectString(
        required(obj, 'text', `${path}.reasoningContent.reasoningText.text`),
        `${path}.reasoningContent.reasoningText.text`,
      );
      const signature =
        obj.signature === undefined
          ? undefined
          : expectString(obj.signature, `${path}.reasoningContent.reasoningText.signature`);
      return { kind: 'reasoning', text, signature, redacted: undefined, raw: value };
    }
    case 'guardContent': {
      const [gm, gv] = unionMember(inner, `${path}.guardContent`, ['text', 'image'], 'GuardrailConverseContentBlock');
      if (gm === 'text') {
        const obj = expectObject(gv, `${path}.guardContent.text`);
        checkKeys(obj, ['text', 'qualifiers']);
        const text = required(obj, 'text', `${path}.guardContent.text.text`);
        return { kind: 'guardContent', text: expectString(text, `${path}.guardContent.text.text`), raw: value };
      }
      const img = expectObject(gv, `${path}.guardContent.image`);
      checkKeys(img, ['format', 'source']);
      enumCheck(img.format, `${path}.guardContent.image.format`, ['png', 'jpeg']);
      required(img, 'source', `${path}.guardContent.image.source`);
      const [gsm, gsv] = unionMember(
        img.source,
        `${path}.guardContent.image.source`,
        ['bytes'],
        'GuardrailConverseImageSource',
      );
      if (gsm === 'bytes') decodeBlob(gsv, `${path}.guardContent.image.source.bytes`);
      return { kind: 'other', member, raw: value };
    }
    case 'video':
    case 'audio':
      parseMedia(member, inner, `${path}.${member}`, role, model);
      return { kind: 'other', member, raw: value };
    default:
      return { kind: 'other', member, raw: value };
  }
}

const VIDEO_FORMATS = ['mkv', 'mov', 'mp4', 'webm', 'flv', 'mpeg', 'mpg', 'wmv', 'three_gp'];
const AUDIO_FORMATS = [
  'mp3',
  'opus',
  'wav',
  'aac',
  'flac',
  'mp4',
  'ogg',
  'mkv',
  'mka',
  'x-aac',
  'm4a',
  'mpeg',
  'mpga',
  'pcm',
  'webm',
];

/** Video and audio blocks: user turns only, format enums of the service model, models that take them. */
function parseMedia(
  member: 'video' | 'audio',
  value: unknown,
  path: string,
  role: 'user' | 'assistant',
  model: CatalogModel,
): void {
  if (role !== 'user') {
    throw validationException(
      `The ${member} content block at ${path.replace(/\.(video|audio)$/, '')} is only allowed in user messages.`,
    );
  }
  if (member === 'video' ? !model.video : true) {
    throw validationException(
      `This model doesn't support the ${member} content block that you provided. Try again with a supported content block.`,
    );
  }
  const obj = expectObject(value, path);
  checkKeys(obj, ['format', 'source']);
  enumCheck(obj.format, `${path}.format`, member === 'video' ? VIDEO_FORMATS : AUDIO_FORMATS);
  required(obj, 'source', `${path}.source`);
  const [sm, sv] = unionMember(
    obj.source,
    `${path}.source`,
    ['bytes', 's3Location'],
    `${member === 'video' ? 'Video' : 'Audio'}Source`,
  );
  if (sm === 'bytes') decodeBlob(sv, `${path}.source.bytes`);
  else parseS3Location(sv, `${path}.source.s3Location`);
}

function parseSystem(value: unknown, model: CatalogModel, counters: Counters): SystemBlock[] {
  const list = expectArray(value, 'system');
  if (list.length > 0 && !model.system) {
    throw validationException("This model doesn't support system messages. Try again without system messages.");
  }
  return list.map((item, i) => {
    const path = `system.${i}`;
    const [member, inner] = unionMember(item, path, ['text', 'guardContent', 'cachePoint'], 'SystemContentBlock');
    if (member === 'text') {
      const text = expectString(inner, `${path}.text`);
      if (text.trim() === '') {
        throw validationException(
          `The text field in the SystemContentBlock object at ${path} is blank. Add text to the text field, and try again.`,
        );
      }
      return { kind: 'text', text, raw: item };
    }
    if (member === 'cachePoint') {
      counters.cachePoints += 1;
      return { kind: 'cachePoint', ttl: parseCachePoint(inner, `${path}.cachePoint`), raw: item };
    }
    const [, gv] = unionMember(inner, `${path}.guardContent`, ['text', 'image'], 'GuardrailConverseContentBlock');
    const text = isObject(gv) && typeof gv.text === 'string' ? gv.text : '';
    return { kind: 'guardContent', text, raw: item };
  });
}

function parseTools(
  value: unknown,
  model: CatalogModel,
  counters: Counters,
): { tools: ToolEntry[]; choice: ToolChoice | undefined } {
  const obj = expectObject(value, 'toolConfig');
  checkKeys(obj, ['tools', 'toolChoice']);
  if (!model.tools) throw validationException("This model doesn't support tool use.");
  const list = expectArray(required(obj, 'tools', 'toolConfig.tools'), 'toolConfig.tools');
  if (list.length === 0) {
    throw constraintException([
      { path: 'toolConfig.tools', value: '[]', constraint: 'Member must have length greater than or equal to 1' },
    ]);
  }
  const names = new Set<string>();
  const tools = list.map((item, i): ToolEntry => {
    const path = `toolConfig.tools.${i}`;
    const [member, inner] = unionMember(item, path, ['toolSpec', 'systemTool', 'cachePoint'], 'Tool');
    if (member === 'cachePoint') {
      counters.cachePoints += 1;
      return { kind: 'cachePoint', ttl: parseCachePoint(inner, `${path}.cachePoint`), raw: item };
    }
    const spec = expectObject(inner, `${path}.${member}`);
    if (member === 'systemTool') {
      checkKeys(spec, ['name']);
      const systemName = required(spec, 'name', `${path}.systemTool.name`);
      return { kind: 'systemTool', name: expectString(systemName, `${path}.systemTool.name`), raw: item };
    }
    checkKeys(spec, ['name', 'description', 'inputSchema', 'strict']);
    const name = expectString(required(spec, 'name', `${path}.toolSpec.name`), `${path}.toolSpec.name`);
    lengthCheck(name, `${path}.toolSpec.name`, 1, 64);
    patternCheck(name, `${path}.toolSpec.name`, TOOL_NAME_RE, '^[a-zA-Z0-9_-]+$');
    if (names.has(name)) throw validationException('tools: Tool names must be unique.');
    names.add(name);
    const description =
      spec.description === undefined ? undefined : expectString(spec.description, `${path}.toolSpec.description`);
    if (description !== undefined) lengthCheck(description, `${path}.toolSpec.description`, 1, Number.MAX_SAFE_INTEGER);
    required(spec, 'inputSchema', `${path}.toolSpec.inputSchema`);
    const [, schema] = unionMember(spec.inputSchema, `${path}.toolSpec.inputSchema`, ['json'], 'ToolInputSchema');
    const schemaObj = expectObject(schema, `${path}.toolSpec.inputSchema.json`);
    if (schemaObj.type !== undefined && schemaObj.type !== 'object') {
      throw validationException(`${path}.toolSpec.inputSchema.json.type: Input should be 'object'`);
    }
    return { kind: 'toolSpec', name, description, schema: schemaObj, raw: item };
  });
  let choice: ToolChoice | undefined;
  if (obj.toolChoice !== undefined) {
    const [member, inner] = unionMember(obj.toolChoice, 'toolConfig.toolChoice', ['auto', 'any', 'tool'], 'ToolChoice');
    if (member === 'auto') {
      checkKeys(expectObject(inner, 'toolConfig.toolChoice.auto'), []);
      choice = { kind: 'auto' };
    } else {
      // bedrock-wire.md §2.2: `any` / `tool` only on models that support forced tool use.
      if (!model.toolChoiceAnyTool) {
        throw validationException(
          `This model doesn't support the toolConfig.toolChoice.${member} field. Remove toolConfig.toolChoice.${member} and try again.`,
        );
      }
      const inn = expectObject(inner, `toolConfig.toolChoice.${member}`);
      if (member === 'any') {
        checkKeys(inn, []);
        choice = { kind: 'any' };
      } else {
        checkKeys(inn, ['name']);
        const name = expectString(
          required(inn, 'name', 'toolConfig.toolChoice.tool.name'),
          'toolConfig.toolChoice.tool.name',
        );
        lengthCheck(name, 'toolConfig.toolChoice.tool.name', 1, 64);
        patternCheck(name, 'toolConfig.toolChoice.tool.name', TOOL_NAME_RE, '^[a-zA-Z0-9_-]+$');
        if (!names.has(name)) {
          throw validationException(
            `Tool '${name}' named in toolConfig.toolChoice.tool.name is not defined in toolConfig.tools.`,
          );
        }
        choice = { kind: 'tool', name };
      }
    }
  }
  return { tools, choice };
}

function checkCachePointPlacement(blocks: readonly { kind: string }[], path: string): void {
  blocks.forEach((block, i) => {
    if (block.kind !== 'cachePoint') return;
    // A checkpoint marks the end of the prefix before it: it needs a real block right before it.
    const prev = blocks[i - 1];
    if (!prev || prev.kind === 'cachePoint') {
      throw validationException(
        `The cachePoint at ${path}.${i} must follow a content block; a cachePoint cannot be the first block or follow another cachePoint.`,
      );
    }
  });
}

function checkRoles(messages: readonly Message[]): void {
  if (messages[0]?.role !== 'user') {
    throw validationException(
      'A conversation must start with a user message. Try again with a conversation that starts with a user message.',
    );
  }
  for (let i = 1; i < messages.length; i++) {
    if (messages[i]?.role === messages[i - 1]?.role) {
      throw validationException(
        'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.',
      );
    }
  }
}

function checkToolPairing(messages: readonly Message[]): void {
  messages.forEach((message, i) => {
    const results = message.content.flatMap((b, j) => (b.kind === 'toolResult' ? [{ id: b.toolUseId, j }] : []));
    const prev = messages[i - 1];
    const prevUses =
      prev?.role === 'assistant' ? prev.content.flatMap((b) => (b.kind === 'toolUse' ? [b.toolUseId] : [])) : [];
    if (results.length > 0) {
      if (results.length > prevUses.length && prevUses.length > 0) {
        throw validationException(
          `The number of toolResult blocks at messages.${i}.content exceeds the number of toolUse blocks of previous turn.`,
        );
      }
      for (const r of results) {
        if (!prevUses.includes(r.id)) {
          throw validationException(
            `messages.${i}.content.${r.j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${r.id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
          );
        }
      }
    }
  });
  // Unanswered toolUses are reported after unexpected toolResults, which name the offending block.
  messages.forEach((message, i) => {
    const uses =
      message.role === 'assistant' ? message.content.flatMap((b) => (b.kind === 'toolUse' ? [b.toolUseId] : [])) : [];
    const next = messages[i + 1];
    if (uses.length > 0 && next) {
      const answered = new Set(next.content.flatMap((b) => (b.kind === 'toolResult' ? [b.toolUseId] : [])));
      const missing = uses.filter((id) => !answered.has(id));
      if (missing.length > 0) {
        throw validationException(
          `Expected toolResult blocks at messages.${i + 1}.content for the following Ids: ${missing.join(', ')}`,
        );
      }
    }
  });
}

/**
 * Where the model's prompt cache takes checkpoints (Bedrock prompt-caching page: Nova caches system and
 * messages but not tools; the 1-hour TTL exists on Claude 4.5 and later only).
 */
function checkCachePointSupport(
  model: CatalogModel,
  system: readonly SystemBlock[],
  messages: readonly Message[],
  tools: readonly ToolEntry[],
): void {
  const toolPoint = tools.findIndex((t) => t.kind === 'cachePoint');
  if (toolPoint >= 0 && !model.cacheTools) {
    throw validationException(
      `This model doesn't support cache checkpoints in toolConfig.tools. Remove the cachePoint at toolConfig.tools.${toolPoint} and try again.`,
    );
  }
  if (model.cacheTtl1h) return;
  const located: { path: string; block: { kind: string; ttl?: '5m' | '1h' } }[] = [
    ...tools.map((block, i) => ({ path: `toolConfig.tools.${i}`, block })),
    ...system.map((block, i) => ({ path: `system.${i}`, block })),
    ...messages.flatMap((m, i) => m.content.map((block, j) => ({ path: `messages.${i}.content.${j}`, block }))),
  ];
  const long = located.find(({ block }) => block.kind === 'cachePoint' && block.ttl === '1h');
  if (long) {
    throw validationException(
      `This model doesn't support the 1h cache TTL at ${long.path}.cachePoint.ttl. Remove ttl or set it to 5m and try again.`,
    );
  }
}

/**
 * `additionalModelRequestFields` is merged into the model's native request body, which Bedrock validates
 * against the provider's schema: a key the body does not have (e.g. `top_k` for Llama, whose body takes
 * only temperature, top_p and max_gen_len) is extraneous. Nova reads `inferenceConfig.topK` from it.
 */
function checkAdditionalFields(extra: JsonObject, model: CatalogModel): void {
  if (model.additionalFields === undefined) return;
  checkKeys(extra, model.additionalFields);
  if (model.family === 'amazon-nova' && extra.inferenceConfig !== undefined) {
    const ic = expectObject(extra.inferenceConfig, 'inferenceConfig');
    checkKeys(ic, ['topK']);
    if (ic.topK !== undefined) rangeCheck(ic.topK, 'inferenceConfig.topK', 0, undefined);
  }
}

/**
 * Anthropic: the user turn answering tool calls must begin with their tool results; text (or anything
 * else) before a result leaves that `tool_use` "without `tool_result` blocks immediately after".
 */
export function checkToolResultsFirst(messages: readonly Message[]): void {
  messages.forEach((message, i) => {
    const prev = messages[i - 1];
    if (message.role !== 'user' || prev?.role !== 'assistant') return;
    const uses = prev.content.flatMap((b) => (b.kind === 'toolUse' ? [b.toolUseId] : []));
    if (uses.length === 0) return;
    const leading = new Set<string>();
    for (const block of message.content) {
      if (block.kind === 'toolResult') leading.add(block.toolUseId);
      else if (block.kind !== 'cachePoint') break;
    }
    const late = uses.filter((id) => !leading.has(id));
    if (late.length > 0) {
      throw validationException(
        `messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${late.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
      );
    }
  });
}

/** Anthropic's name of a Converse content block, as its errors show it. */
function anthropicBlockType(block: ContentBlock): string {
  switch (block.kind) {
    case 'text':
      return 'text';
    case 'toolUse':
      return 'tool_use';
    case 'toolResult':
      return 'tool_result';
    case 'image':
      return 'image';
    case 'document':
      return 'document';
    case 'reasoning':
      return 'thinking';
    case 'cachePoint':
      return 'cache_control';
    case 'guardContent':
      return 'text';
    case 'other':
      return block.member;
    default: {
      const never: never = block;
      return never;
    }
  }
}

/**
 * With thinking on, Anthropic requires the final assistant message to start with a thinking block: a
 * trailing assistant message (a prefill, which extended thinking does not allow), or the assistant turn
 * whose tool calls the last user turn answers.
 */
export function checkThinkingFinalTurn(messages: readonly Message[]): void {
  const lastIndex = messages.length - 1;
  const last = messages[lastIndex];
  if (!last) return;
  let index: number | undefined;
  if (last.role === 'assistant') index = lastIndex;
  else if (last.content.some((b) => b.kind === 'toolResult') && messages[lastIndex - 1]?.role === 'assistant') {
    index = lastIndex - 1;
  }
  const first = index === undefined ? undefined : messages[index]?.content[0];
  if (!first || first.kind === 'reasoning') return;
  throw validationException(
    `messages.${index}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${anthropicBlockType(first)}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at ${MAX_TOKENS_LIMIT_DOC}`,
  );
}

export function checkReasoningBlocks(messages: readonly Message[], model: CatalogModel, secret: string): void {
  messages.forEach((message, i) => {
    let seenOther = false;
    message.content.forEach((block, j) => {
      if (block.kind !== 'reasoning') {
        if (block.kind !== 'cachePoint') seenOther = true;
        return;
      }
      if (seenOther) {
        throw validationException(
          `messages.${i}.content.${j}: reasoningContent blocks must come before any other content in an assistant message.`,
        );
      }
      // Anthropic verifies that thinking sent back is exactly what it produced.
      if (model.family !== 'anthropic') return;
      if (block.redacted !== undefined) {
        if (!verifyRedactedContent(block.redacted, secret)) {
          throw validationException(`messages.${i}.content.${j}: Invalid \`data\` in \`redacted_thinking\` block`);
        }
        return;
      }
      if (block.signature === undefined) {
        throw validationException(`messages.${i}.content.${j}.thinking.signature: Field required`);
      }
      if (!verifyReasoningSignature(block.text ?? '', block.signature, secret)) {
        throw validationException(`messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`);
      }
    });
  });
}

/** Settings Anthropic rejects while thinking is on (extended-thinking "feature compatibility"). */
function checkThinkingCompatibility(
  extra: JsonObject,
  inference: { maxTokens: number; temperature: number | undefined; topP: number | undefined },
  choice: ToolChoice | undefined,
): void {
  if (inference.temperature !== undefined && inference.temperature !== 1) {
    throw validationException(
      `\`temperature\` may only be set to 1 when thinking is enabled. Please consult our documentation at ${MAX_TOKENS_LIMIT_DOC}#feature-compatibility`,
    );
  }
  if (inference.topP !== undefined && inference.topP < 0.95) {
    throw validationException(
      `\`top_p\` must be greater than or equal to 0.95 or unset when thinking is enabled. Please consult our documentation at ${MAX_TOKENS_LIMIT_DOC}#feature-compatibility`,
    );
  }
  if (extra.top_k !== undefined) {
    throw validationException(
      `\`top_k\` must be unset when thinking is enabled. Please consult our documentation at ${MAX_TOKENS_LIMIT_DOC}#feature-compatibility`,
    );
  }
  if (choice?.kind === 'any' || choice?.kind === 'tool') {
    throw validationException('Thinking may not be enabled when tool_choice forces tool use.');
  }
}

export function parseThinking(
  extra: JsonObject,
  model: CatalogModel,
  inference: { maxTokens: number; temperature: number | undefined; topP: number | undefined },
  choice: ToolChoice | undefined,
): number | undefined {
  const thinking = extra.thinking;
  if (thinking === undefined) return undefined;
  if (model.reasoning !== 'configurable') throw extraneousKey('thinking');
  const obj = expectObject(thinking, 'thinking');
  checkKeys(obj, ['type', 'budget_tokens']);
  if (obj.type === 'disabled') return undefined;
  if (obj.type === 'adaptive' && model.adaptiveThinking) {
    // Adaptive thinking has no budget: the model sizes its reasoning within maxTokens.
    checkKeys(obj, ['type']);
    checkThinkingCompatibility(extra, inference, choice);
    return inference.maxTokens;
  }
  if (obj.type !== 'enabled') {
    throw validationException(
      model.adaptiveThinking
        ? "thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'"
        : "thinking.type: Input should be 'enabled' or 'disabled'",
    );
  }
  const budget = obj.budget_tokens;
  if (typeof budget !== 'number' || !Number.isInteger(budget)) {
    throw validationException('thinking.enabled.budget_tokens: Field required');
  }
  if (budget < 1024) {
    throw validationException('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
  }
  const betas = Array.isArray(extra.anthropic_beta) ? extra.anthropic_beta : [];
  const interleaved = betas.some((b) => typeof b === 'string' && b.startsWith('interleaved-thinking'));
  if (!interleaved && inference.maxTokens <= budget) {
    throw validationException(
      `\`max_tokens\` must be greater than \`thinking.budget_tokens\`. Please consult our documentation at ${MAX_TOKENS_LIMIT_DOC}#max-tokens-and-context-window-size`,
    );
  }
  checkThinkingCompatibility(extra, inference, choice);
  return budget;
}

function parseRequestMetadata(value: unknown): void {
  const obj = expectObject(value, 'requestMetadata');
  const entries = Object.entries(obj);
  if (entries.length < 1 || entries.length > 16) {
    throw constraintException([
      {
        path: 'requestMetadata',
        value: JSON.stringify(obj),
        constraint: `Member must have length ${entries.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 16'}`,
      },
    ]);
  }
  for (const [key, v] of entries) {
    lengthCheck(key, 'requestMetadata.key', 1, 256);
    patternCheck(key, 'requestMetadata.key', METADATA_RE, '[a-zA-Z0-9\\s:_@$#=/+,-.]{1,256}');
    const text = expectString(v, `requestMetadata.${key}`);
    lengthCheck(text, `requestMetadata.${key}`, 0, 256);
    patternCheck(text, `requestMetadata.${key}`, METADATA_RE, '[a-zA-Z0-9\\s:_@$#=/+,-.]{0,256}');
  }
}

function parseOutputConfig(value: unknown, model: CatalogModel): JsonObject | undefined {
  const obj = expectObject(value, 'outputConfig');
  checkKeys(obj, ['textFormat']);
  if (obj.textFormat === undefined) return undefined;
  if (!model.structuredOutput) {
    throw validationException(
      "This model doesn't support the outputConfig.textFormat field. Remove outputConfig.textFormat and try again.",
    );
  }
  const format = expectObject(obj.textFormat, 'outputConfig.textFormat');
  checkKeys(format, ['type', 'structure']);
  enumCheck(format.type, 'outputConfig.textFormat.type', ['json_schema']);
  required(format, 'structure', 'outputConfig.textFormat.structure');
  const [, js] = unionMember(
    format.structure,
    'outputConfig.textFormat.structure',
    ['jsonSchema'],
    'OutputFormatStructure',
  );
  const jsonSchema = expectObject(js, 'outputConfig.textFormat.structure.jsonSchema');
  checkKeys(jsonSchema, ['schema', 'name', 'description']);
  // The schema is a JSON document carried as a string (bedrock-wire.md §2).
  const text = expectString(
    required(jsonSchema, 'schema', 'outputConfig.textFormat.structure.jsonSchema.schema'),
    'outputConfig.textFormat.structure.jsonSchema.schema',
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw validationException(
      'The JSON schema in outputConfig.textFormat.structure.jsonSchema.schema is not valid JSON.',
    );
  }
  if (!isObject(parsed)) {
    throw validationException(
      'The JSON schema in outputConfig.textFormat.structure.jsonSchema.schema must be a JSON object.',
    );
  }
  return parsed;
}

/**
 * Validates a Converse (or, with `stream`, ConverseStream) body against the model; returns the parsed
 * request or throws the ValidationException Bedrock would.
 */
export function validateConverseRequest(
  body: unknown,
  model: CatalogModel,
  options: { stream: boolean; signatureSecret: string },
): ConverseRequest {
  const root = expectObject(body, 'body');
  checkKeys(root, TOP_LEVEL_KEYS);
  if (root.messages === undefined || root.messages === null) throw mustNotBeNull('messages');
  const counters: Counters = { images: 0, documents: 0, cachePoints: 0 };
  const rawMessages = expectArray(root.messages, 'messages');
  const messages: Message[] = rawMessages.map((raw, i) => {
    const path = `messages.${i}`;
    const obj = expectObject(raw, path);
    checkKeys(obj, ['role', 'content']);
    const role = enumCheck(obj.role, `${path}.role`, ['user', 'assistant']) as 'user' | 'assistant';
    const list = expectArray(required(obj, 'content', `${path}.content`), `${path}.content`);
    if (list.length === 0) {
      throw validationException(
        `The content field in the Message object at ${path} is empty. Add a ContentBlock object to the content field and try again.`,
      );
    }
    const content = list.map((c, j) => parseContentBlock(c, `${path}.content.${j}`, role, model, counters));
    checkCachePointPlacement(content, `${path}.content`);
    // Bedrock docs: a document block must be accompanied by a text block (the question about it).
    if (content.some((b) => b.kind === 'document') && !content.some((b) => b.kind === 'text')) {
      throw validationException(
        `The message at ${path} contains a document but no text block. A document must be sent together with a text block in the same message.`,
      );
    }
    return { role, content };
  });
  checkRoles(messages);

  const system = root.system === undefined ? [] : parseSystem(root.system, model, counters);
  checkCachePointPlacement(system, 'system');

  let maxTokens = model.maxOutputTokens;
  let maxTokensSet = false;
  let temperature: number | undefined;
  let topP: number | undefined;
  let stopSequences: string[] = [];
  if (root.inferenceConfig !== undefined) {
    const ic = expectObject(root.inferenceConfig, 'inferenceConfig');
    checkKeys(ic, ['maxTokens', 'temperature', 'topP', 'stopSequences']);
    if (ic.maxTokens !== undefined) {
      maxTokens = rangeCheck(ic.maxTokens, 'inferenceConfig.maxTokens', 1, undefined);
      if (!Number.isInteger(maxTokens)) throw malformed('inferenceConfig.maxTokens must be an integer');
      if (maxTokens > model.maxOutputTokens) {
        throw validationException(
          `The maximum tokens you requested exceeds the model limit of ${model.maxOutputTokens}. Try again with a maximum tokens value that is lower than ${model.maxOutputTokens}.`,
        );
      }
      maxTokensSet = true;
    }
    if (ic.temperature !== undefined) temperature = rangeCheck(ic.temperature, 'inferenceConfig.temperature', 0, 1);
    if (ic.topP !== undefined) topP = rangeCheck(ic.topP, 'inferenceConfig.topP', 0, 1);
    // Claude Sonnet 4.5, Haiku 4.5, Opus 4.1 and later sample with one of the two only; Anthropic refuses
    // the pair whatever the values.
    if (model.exclusiveTemperatureTopP && temperature !== undefined && topP !== undefined) {
      throw validationException(
        '`temperature` and `top_p` cannot both be specified for this model. Please use only one.',
      );
    }
    if (ic.stopSequences !== undefined) {
      const list = expectArray(ic.stopSequences, 'inferenceConfig.stopSequences');
      if (list.length > 2500) {
        throw constraintException([
          {
            path: 'inferenceConfig.stopSequences',
            value: `[${list.length} items]`,
            constraint: 'Member must have length less than or equal to 2500',
          },
        ]);
      }
      stopSequences = list.map((s, k) => {
        const text = expectString(s, `inferenceConfig.stopSequences.${k}`);
        lengthCheck(text, `inferenceConfig.stopSequences.${k}`, 1, Number.MAX_SAFE_INTEGER);
        return text;
      });
    }
  }

  let tools: ToolEntry[] = [];
  let toolChoice: ToolChoice | undefined;
  if (root.toolConfig !== undefined) {
    ({ tools, choice: toolChoice } = parseTools(root.toolConfig, model, counters));
    checkCachePointPlacement(tools, 'toolConfig.tools');
  }
  const hasToolBlocks = messages.some((m) => m.content.some((b) => b.kind === 'toolUse' || b.kind === 'toolResult'));
  if (hasToolBlocks && root.toolConfig === undefined) {
    throw validationException('The toolConfig field must be defined when using toolUse and toolResult content blocks.');
  }
  checkToolPairing(messages);

  if (counters.cachePoints > 0 && model.cacheMinTokens === undefined) {
    throw validationException(
      'You invoked an unsupported model or your request did not allow prompt caching. See the documentation for more information.',
    );
  }
  if (counters.cachePoints > MAX_CACHE_POINTS) {
    throw validationException(
      `A maximum of ${MAX_CACHE_POINTS} blocks with cache_control may be provided. Found ${counters.cachePoints}.`,
    );
  }
  if (counters.cachePoints > 0) checkCachePointSupport(model, system, messages, tools);

  let thinkingBudget: number | undefined;
  if (root.additionalModelRequestFields !== undefined) {
    const extra = expectObject(root.additionalModelRequestFields, 'additionalModelRequestFields');
    checkAdditionalFields(extra, model);
    if (extra.top_k !== undefined) rangeCheck(extra.top_k, 'top_k', 0, undefined);
    thinkingBudget = parseThinking(extra, model, { maxTokens, temperature, topP }, toolChoice);
  }
  checkReasoningBlocks(messages, model, options.signatureSecret);
  if (model.family === 'anthropic') checkToolResultsFirst(messages);
  if (thinkingBudget !== undefined) checkThinkingFinalTurn(messages);

  let additionalModelResponseFieldPaths: string[] = [];
  if (root.additionalModelResponseFieldPaths !== undefined) {
    const list = expectArray(root.additionalModelResponseFieldPaths, 'additionalModelResponseFieldPaths');
    if (list.length > 10) {
      throw constraintException([
        {
          path: 'additionalModelResponseFieldPaths',
          value: `[${list.length} items]`,
          constraint: 'Member must have length less than or equal to 10',
        },
      ]);
    }
    additionalModelResponseFieldPaths = list.map((p, k) => {
      const text = expectString(p, `additionalModelResponseFieldPaths.${k}`);
      lengthCheck(text, `additionalModelResponseFieldPaths.${k}`, 1, 256);
      if (!text.startsWith('/')) {
        throw validationException(`The JSON Pointer ${text} in additionalModelResponseFieldPaths is malformed.`);
      }
      return text;
    });
  }

  if (root.requestMetadata !== undefined) parseRequestMetadata(root.requestMetadata);
  const outputSchema = root.outputConfig === undefined ? undefined : parseOutputConfig(root.outputConfig, model);

  if (root.guardrailConfig !== undefined) {
    const gc = expectObject(root.guardrailConfig, 'guardrailConfig');
    checkKeys(
      gc,
      options.stream
        ? ['guardrailIdentifier', 'guardrailVersion', 'trace', 'streamProcessingMode']
        : ['guardrailIdentifier', 'guardrailVersion', 'trace'],
    );
    expectString(gc.guardrailIdentifier, 'guardrailConfig.guardrailIdentifier');
    const version = expectString(gc.guardrailVersion, 'guardrailConfig.guardrailVersion');
    patternCheck(
      version,
      'guardrailConfig.guardrailVersion',
      /^(([1-9][0-9]{0,7})|(DRAFT))$/,
      '(([1-9][0-9]{0,7})|(DRAFT))',
    );
    if (gc.trace !== undefined) enumCheck(gc.trace, 'guardrailConfig.trace', ['enabled', 'disabled', 'enabled_full']);
    if (gc.streamProcessingMode !== undefined)
      enumCheck(gc.streamProcessingMode, 'guardrailConfig.streamProcessingMode', ['sync', 'async']);
  }
  if (root.performanceConfig !== undefined) {
    const pc = expectObject(root.performanceConfig, 'performanceConfig');
    checkKeys(pc, ['latency']);
    if (pc.latency !== undefined) enumCheck(pc.latency, 'performanceConfig.latency', ['standard', 'optimized']);
  }
  if (root.serviceTier !== undefined) {
    const st = expectObject(root.serviceTier, 'serviceTier');
    checkKeys(st, ['type']);
    enumCheck(st.type, 'serviceTier.type', ['priority', 'default', 'flex', 'reserved']);
  }
  if (root.promptVariables !== undefined) {
    throw validationException('promptVariables can only be used with a prompt resource ARN as the modelId.');
  }

  return {
    messages,
    system,
    maxTokens,
    maxTokensSet,
    temperature,
    topP,
    stopSequences,
    tools,
    toolChoice,
    thinkingBudget,
    additionalModelResponseFieldPaths,
    outputSchema,
    performanceConfig:
      root.performanceConfig === undefined ? undefined : (root.performanceConfig as { latency?: string }),
    serviceTier: root.serviceTier === undefined ? undefined : (root.serviceTier as { type: string }),
  };
}
