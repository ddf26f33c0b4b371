/**
 * Nesting depth of JSON text, measured before it is parsed.
 *
 * `JSON.parse` in V8 does not recurse, but everything after it does (`JSON.stringify`, structural
 * checks, serialisers), so a body of a million `[` parses fine and then overflows the stack. A scan of
 * the raw text refuses such input first: one pass, no recursion, no allocation, so its cost is linear in
 * the body size whatever the depth. Hand-written because it is a dozen lines and no maintained parser
 * exposes a depth limit (secure-json-parse, fastify's parser, has none).
 */
import { GatewayError } from '../errors/index.js';
import { JSON_DEFAULTS } from './defaults.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether arrays and objects in `text` nest deeper than `maxDepth` (`{}` is depth 1). Brackets inside
 * strings do not count. Malformed text is not judged here: the parser that runs next refuses it.
 * Works on strings and on UTF-8 bytes alike (multi-byte sequences never contain ASCII quotes or brackets).
 *
 * Strings are skipped with `indexOf` (the engine's vectorised search), so text-heavy bodies cost next to
 * nothing; a closing quote counts when an even number of backslashes precede it (each run of
 * backslashes is counted once, by the quote that ends it), so the scan stays linear.
 */
export function jsonNestingExceeds(text: string | Uint8Array, maxDepth: number): boolean {
  return typeof text === 'string' ? stringExceeds(text, maxDepth) : bytesExceeds(text, maxDepth);
}

// Two copies of one loop on purpose: a loop that reads both strings and bytes is polymorphic and
// several times slower in V8.
function stringExceeds(text: string, maxDepth: number): boolean {
  const length = text.length;
  let depth = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = i;
      let backslashes: number;
      do {
        end = text.indexOf('"', end + 1);
        if (end < 0) return false;
        backslashes = 0;
        for (let k = end - 1; k > i && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
      } while (backslashes % 2 === 1);
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

function bytesExceeds(bytes: Uint8Array, maxDepth: number): boolean {
  const length = bytes.length;
  let depth = 0;
  for (let i = 0; i < length; i++) {
    const c = bytes[i];
    if (c === QUOTE) {
      let end = i;
      let backslashes: number;
      do {
        end = nextQuote(bytes, end + 1);
        if (end < 0) return false;
        backslashes = 0;
        for (let k = end - 1; k > i && bytes[k] === BACKSLASH; k--) backslashes++;
      } while (backslashes % 2 === 1);
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Bytes looked at in the loop before a string's end is searched with `indexOf`. */
const SHORT_STRING = 32;

/**
 * The next quote at or after `from`, or -1. Most strings of a JSON body are short (member names, enum values):
 * those are looked at here, as a native `indexOf` call costs more than that; long ones with `indexOf`.
 */
function nextQuote(bytes: Uint8Array, from: number): number {
  const stop = Math.min(bytes.length, from + SHORT_STRING);
  for (let k = from; k < stop; k++) if (bytes[k] === QUOTE) return k;
  return stop < bytes.length ? bytes.indexOf(QUOTE, stop) : -1;
}

/** The 400 for JSON nested deeper than the limit; `param` names the field when it is not the whole body. */
export function jsonTooDeepError(maxDepth: number, param?: string): GatewayError {
  return param === undefined
    ? new GatewayError(
        'invalid_json',
        `The JSON body has nesting deeper than ${maxDepth} levels of arrays and objects, which the gateway does not accept.`,
      )
    : new GatewayError(
        'invalid_value',
        `Invalid value for '${param}': nesting deeper than ${maxDepth} levels of arrays and objects is not accepted.`,
        { param },
      );
}

/**
 * Parses a non-streaming Bedrock answer; undefined when it nests deeper than
 * `JSON_DEFAULTS.upstreamMaxNestingDepth` (the caller answers 502). Syntax errors are thrown.
 */
export function parseUpstreamJson(body: Uint8Array): unknown {
  if (jsonNestingExceeds(body, JSON_DEFAULTS.upstreamMaxNestingDepth)) return undefined;
  return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
}

/**
 * `JSON.parse` for caller-supplied JSON strings inside a request (tool-call arguments and the like):
 * refuses nesting deeper than `maxDepth` with a 400 naming `param` before parsing. Syntax errors are
 * thrown as `JSON.parse` throws them, for the caller to word.
 */
export function parseJsonWithinDepth(
  text: string,
  param: string,
  maxDepth: number = JSON_DEFAULTS.maxNestingDepth,
): unknown {
  if (jsonNestingExceeds(text, maxDepth)) throw jsonTooDeepError(maxDepth, param);
  return JSON.parse(text);
}

/**
 * Depth of an already parsed value, without recursion (an explicit stack bounded by `maxDepth`): for
 * values that did not come from text the gateway scanned, such as a value built by a library.
 */
export function valueNestingExceeds(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ v: unknown; d: number }> = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop() as { v: unknown; d: number };
    if (typeof v !== 'object' || v === null) continue;
    if (d + 1 > maxDepth) return true;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push({ v: child, d: d + 1 });
  }
  return false;
}
