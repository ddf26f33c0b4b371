/**
 * Prompt-cache affinity (docs/resources.md, ModelRoute): Bedrock caches a prompt prefix per account and
 * region, in the order tools → system → messages, up to a cache point. Requests that share that prefix
 * should land on the same target, so the key is a hash of exactly that prefix; the target is then chosen by
 * weighted rendezvous hashing (highest random weight), so removing or ejecting one target moves only the
 * keys it owned.
 */
import { crc32 } from 'node:zlib';

/** A 64-bit prefix hash as two unsigned 32-bit halves. */
export interface AffinityKey {
  readonly hi: number;
  readonly lo: number;
}

/** The parts of a Converse request that make up Bedrock's cached prefix. */
export interface CachePrefixSource {
  messages?: ReadonlyArray<{ role?: string; content?: readonly unknown[] }>;
  system?: readonly unknown[];
  toolConfig?: { tools?: readonly unknown[] };
}

/**
 * The affinity key of a Converse request: a hash of its prefix up to and including the last `cachePoint`
 * (tools, then system, then messages), or undefined when the request has no cache point.
 *
 * Cost: one walk of the prefix (strings are concatenated, not copied per level) and one CRC-32 of its
 * canonical form; linear in the prefix size, which the request body limit bounds.
 */
export function affinityKey(request: CachePrefixSource): AffinityKey | undefined {
  const messages = request.messages ?? NONE;
  const system = request.system ?? NONE;
  const tools = request.toolConfig?.tools ?? NONE;
  // Find the last cache point in Bedrock's prefix order, scanning from the end.
  for (let m = messages.length - 1; m >= 0; m--) {
    const content = messages[m]?.content ?? NONE;
    for (let b = content.length - 1; b >= 0; b--) {
      if (isCachePoint(content[b])) {
        let text = `T${canonicalList(tools, tools.length)}S${canonicalList(system, system.length)}M`;
        for (let i = 0; i < m; i++) text += canonicalMessage(messages[i]!, Number.POSITIVE_INFINITY);
        text += canonicalMessage(messages[m]!, b + 1);
        return digest(text);
      }
    }
  }
  for (let s = system.length - 1; s >= 0; s--) {
    if (isCachePoint(system[s])) {
      return digest(`T${canonicalList(tools, tools.length)}S${canonicalList(system, s + 1)}M`);
    }
  }
  for (let t = tools.length - 1; t >= 0; t--) {
    if (isCachePoint(tools[t])) return digest(`T${canonicalList(tools, t + 1)}S`);
  }
  return undefined;
}

const NONE: readonly never[] = [];

function isCachePoint(block: unknown): boolean {
  return typeof block === 'object' && block !== null && 'cachePoint' in block;
}

function digest(text: string): AffinityKey {
  // CRC-32 (zlib, native): the key only places requests, so a 1-in-2^32 collision costs nothing but both
  // prefixes sharing a target, and it is about twice as fast as SHA-1 on an 8 KiB prefix. The length is
  // mixed into the second half so that each half carries the whole text's fingerprint.
  const crc = crc32(text);
  return { hi: fmix32((crc ^ Math.imul(text.length, 0x9e3779b1)) >>> 0), lo: crc };
}

function canonicalMessage(message: { role?: string; content?: readonly unknown[] }, blocks: number): string {
  const content = message.content ?? NONE;
  return `m${canonical(message.role)}${canonicalList(content, Math.min(blocks, content.length))}`;
}

function canonicalList(items: readonly unknown[], count: number): string {
  let text = `[${count}`;
  for (let i = 0; i < count; i++) text += canonical(items[i]);
  return `${text}]`;
}

/**
 * A canonical, unambiguous text of a JSON value: every string is length-prefixed, so no content can imitate
 * the structure around it (the same idea as a netstring).
 */
function canonical(value: unknown): string {
  if (typeof value === 'string') return `s${value.length}:${value}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `n${value};`;
  if (value === null || value === undefined) return 'z';
  if (Array.isArray(value)) return canonicalList(value, value.length);
  let text = '{';
  for (const key in value as Record<string, unknown>) {
    const child = (value as Record<string, unknown>)[key];
    if (child === undefined) continue; // JSON.stringify drops these too
    text += `k${key.length}:${key}${canonical(child)}`;
  }
  return `${text}}`;
}

/** A 32-bit FNV-1a hash of a target's name: its fixed seed in the rendezvous scores. */
export function targetSeed(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** murmur3's 32-bit finaliser: full avalanche of a 32-bit value. */
function fmix32(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const TWO_POW_21 = 2 ** 21;
const TWO_POW_53 = 2 ** 53;

/**
 * The weighted rendezvous score of a target for a key (Schindelhauer and Schomaker's logarithmic method):
 * `weight / -ln(u)` with `u ∈ (0, 1)` a hash of (key, target). The highest score wins; each target's score
 * depends only on the key and that target, so the winner changes only for keys whose winner left, and over
 * many keys each target wins in proportion to its weight. Weight 0 never wins while another target scores.
 */
export function rendezvousScore(key: AffinityKey, seed: number, weight: number): number {
  if (weight <= 0) return 0;
  const a = fmix32(key.lo ^ seed);
  const b = fmix32((key.hi ^ Math.imul(seed, 0x9e3779b1) ^ a) >>> 0);
  // 53 random bits, offset by half a step so u is never 0 or 1.
  const u = (a * TWO_POW_21 + (b >>> 11) + 0.5) / TWO_POW_53;
  return weight / -Math.log(u);
}
