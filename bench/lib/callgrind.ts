/**
 * Reading a callgrind profile of `node --perf-basic-prof`: self instructions per function from
 * `callgrind_annotate`, JIT-compiled code named from V8's perf map, and every function put in an area (aigw's own
 * modules, npm packages, Node's JavaScript, V8's built-ins, runtime and compiler, OpenSSL, libc, ...).
 *
 * Callgrind knows native code by its symbols, but V8's generated code has none: it shows as `???:0x<address>`.
 * With --perf-basic-prof, V8 appends `<start> <size> <name>` (hex) for each code object it creates to
 * /tmp/perf-<pid>.map, with names such as `JS:*crc32Js file:///…/dist/gateway/src/upstream/event-stream.js:363:17`
 * (`*` TurboFan, `+` Maglev, `^` Sparkplug, `~` interpreted) or `RegExp:<source>`.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One line of callgrind_annotate's function table. */
export interface AnnotateEntry {
  /** Self instructions (Ir). */
  instructions: number;
  /** The source file, `???` when unknown. */
  file: string;
  /** The function as callgrind names it (demangled), `0x…` for code without a symbol. */
  fn: string;
  /** The object file (`/usr/lib/…/libc.so.6`, the node binary, `???` for generated code); absent on some lines. */
  object: string | undefined;
}

export interface Annotation {
  /** PROGRAM TOTALS: every instruction of the dump. */
  total: number;
  entries: AnnotateEntry[];
}

// `  42,955,266 ( 5.01%)  ???:sha256_block_data_order_avx2 [/…/bin/node]`
const ENTRY = /^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(.*)$/;
// The object callgrind_annotate appends: an absolute path or ??? (a function name may itself end in `]`).
const OBJECT = /^(.*) \[(\/[^\]]*|\?\?\?)\]$/;

/** Parses the output of `callgrind_annotate --threshold=100 --auto=no FILE` (self cost, one event). */
export function parseAnnotation(text: string): Annotation {
  let total: number | undefined;
  const entries: AnnotateEntry[] = [];
  let inTable = false;
  for (const line of text.split('\n')) {
    if (/^Ir\s+file:function/.test(line)) {
      inTable = true;
      continue;
    }
    const m = ENTRY.exec(line);
    if (!m) continue;
    const instructions = Number((m[1] as string).replaceAll(',', ''));
    const rest = (m[2] as string).trim();
    if (rest === 'PROGRAM TOTALS') {
      total = instructions;
      continue;
    }
    if (!inTable) continue;
    const o = OBJECT.exec(rest);
    const fileFn = o ? (o[1] as string) : rest;
    // Paths hold no colon, C++ names do: the first one ends the file.
    const colon = fileFn.indexOf(':');
    entries.push({
      instructions,
      file: colon < 0 ? '???' : fileFn.slice(0, colon),
      fn: colon < 0 ? fileFn : fileFn.slice(colon + 1),
      object: o ? (o[2] as string) : undefined,
    });
  }
  if (total === undefined) throw new Error('callgrind_annotate printed no PROGRAM TOTALS');
  return { total, entries };
}

/** Self instructions per function of one callgrind dump (callgrind_annotate must be on the PATH). */
export async function annotate(callgrindFile: string): Promise<Annotation> {
  const { stdout } = await run('callgrind_annotate', ['--threshold=100', '--auto=no', callgrindFile], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return parseAnnotation(stdout);
}

/**
 * V8's perf map: code ranges and their names. V8 reuses addresses once code is collected, and only ever appends,
 * so where ranges overlap the entry written last is the one that was there at the end (the measured window
 * follows the warm-up).
 */
export class PerfMap {
  readonly #starts: number[] = [];
  readonly #ends: number[] = [];
  readonly #names: string[] = [];
  /** Line number of each entry, to prefer the latest of overlapping ones. */
  readonly #order: number[] = [];
  #longest = 0;

  constructor(text: string) {
    const rows: { start: number; end: number; name: string; order: number }[] = [];
    for (const [order, line] of text.split('\n').entries()) {
      const first = line.indexOf(' ');
      const second = line.indexOf(' ', first + 1);
      if (first < 0 || second < 0) continue;
      const start = Number.parseInt(line.slice(0, first), 16);
      const size = Number.parseInt(line.slice(first + 1, second), 16);
      if (!Number.isFinite(start) || !Number.isFinite(size)) continue;
      rows.push({ start, end: start + size, name: line.slice(second + 1), order });
      this.#longest = Math.max(this.#longest, size);
    }
    rows.sort((a, b) => a.start - b.start || a.order - b.order);
    for (const r of rows) {
      this.#starts.push(r.start);
      this.#ends.push(r.end);
      this.#names.push(r.name);
      this.#order.push(r.order);
    }
  }

  get size(): number {
    return this.#starts.length;
  }

  /** The name of the code holding `address`, or undefined. */
  nameAt(address: number): string | undefined {
    const lo = this.#firstAfter(address);
    // Entries starting at or before the address, nearest first; none further back than the longest range.
    let best = -1;
    for (let i = lo - 1; i >= 0 && address - (this.#starts[i] as number) < this.#longest; i--) {
      if (
        address < (this.#ends[i] as number) &&
        (best < 0 || (this.#order[i] as number) > (this.#order[best] as number))
      )
        best = i;
    }
    return best < 0 ? undefined : this.#names[best];
  }

  /** The index of the first entry starting after `address` (the number of entries when none does). */
  #firstAfter(address: number): number {
    let lo = 0;
    let hi = this.#starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#starts[mid] as number) <= address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The name of the first code starting after `address`, if within `distance` bytes. */
  nameAfter(address: number, distance: number): string | undefined {
    const lo = this.#firstAfter(address);
    const start = this.#starts[lo];
    return start !== undefined && start - address <= distance ? this.#names[lo] : undefined;
  }
}

/** Areas that are not a JavaScript module. */
export const AREA = {
  compiler: 'V8 optimising compiler (TurboFan, Maglev)',
  v8: 'V8 runtime and GC',
  builtins: 'V8 built-ins',
  regexp: 'regular expressions (JIT)',
  wasm: "WebAssembly (llhttp, undici's HTTP/1 parser)",
  nodeJs: 'Node.js JavaScript (node:*)',
  native: 'Node.js native, libuv, llhttp',
  openssl: 'OpenSSL',
  libc: 'libc, libstdc++',
  unmapped: 'generated code missing from the perf map',
  otherJs: 'other JavaScript',
  other: 'other',
} as const;

/** A function's name as reported, and its area. */
export interface Attribution {
  name: string;
  area: string;
}

/** How far before the first logged function of a wasm code space an address is taken to be its jump table. */
const WASM_JUMP_TABLE_BYTES = 0x10000;
const TIERS: Record<string, string> = { '*': 'TurboFan', '+': 'Maglev', '^': 'Sparkplug', '~': 'interpreted' };
const COMPILER =
  /v8::internal::(?:compiler|maglev|turboshaft)::|OptimizingCompileDispatcher|2v88internal(?:8compiler|6maglev|10turboshaft)/;
const V8 = /\bv8::|\bheap::|\bcppgc::|^_ZN?K?2v8|^_ZZN2v8|^halfsiphash\b/;
const NODE_NATIVE =
  /\bnode::|^_ZN?K?4node|^(?:uv_|uv__|llhttp|nghttp|ares_|napi_|hdr_|deflate|inflate|adler32|crc32_|Brotli|uvwasi|sqlite3)|\b(?:simdutf|ada|nbytes|ncrypto|simdjson|icu_\d+)::/;
const OPENSSL =
  /^(?:sha\d*_|SHA\d*_|EVP_|evp_|HMAC|ossl_|OSSL_|OPENSSL_|CRYPTO_|ENGINE_|engine_|OBJ_|obj_|ERR_|BN_|bn_|aesni_|AES_|RAND_|EC_|ec_|ecp_|RSA_|ASN1_|X509|BIO_|SSL_|ssl_|tls_|gcm_|ChaCha|Poly1305|x25519)/;
const C_SYMBOL = /^[A-Za-z_][\w.]*$/;

/**
 * Names an entry and puts it in an area. `buildDir` is the directory of the build's `dist` layout (its
 * `gateway/src/...` modules are named relative to it).
 */
export function attribute(entry: AnnotateEntry, map: PerfMap, buildDir: string): Attribution {
  const fn = entry.fn.replace(/'\d+$/, ''); // callgrind's recursion marker: foo'2
  if (entry.object === '???' || (entry.object === undefined && entry.file === '???' && fn.startsWith('0x'))) {
    const hex = /^0x([0-9a-f]+)$/i.exec(fn);
    const address = hex ? Number.parseInt(hex[1] as string, 16) : Number.NaN;
    const name = map.nameAt(address);
    if (name !== undefined) return attributeGenerated(name, buildDir);
    // A WebAssembly module's code space starts with its jump table, which V8 does not log. Calls between wasm
    // functions go through it and a jump is no call to callgrind, so the functions entered that way count here.
    if (map.nameAfter(address, WASM_JUMP_TABLE_BYTES)?.startsWith('JS:wasm-'))
      return { name: 'WebAssembly functions entered through the jump table', area: AREA.wasm };
    return { name: `${fn} (generated)`, area: AREA.unmapped };
  }
  const object = entry.object ?? '';
  const name = fn;
  // glibc's own debug info names its sources relative to its tree (./string/…, ./malloc/…).
  if (
    /\/(?:libc|libm|ld-linux[\w-]*|libstdc\+\+|libgcc_s)\.so/.test(object) ||
    (!object && entry.file.startsWith('./'))
  )
    return { name, area: AREA.libc };
  if (name.startsWith('Builtins_')) return { name, area: AREA.builtins };
  const qualified = name.split('(')[0] as string;
  if (COMPILER.test(qualified)) return { name, area: AREA.compiler };
  if (V8.test(qualified)) return { name, area: AREA.v8 };
  if (NODE_NATIVE.test(qualified) || entry.file.includes('/deps/uv/')) return { name, area: AREA.native };
  if (OPENSSL.test(name)) return { name, area: AREA.openssl };
  // OpenSSL's internal helpers have no common prefix (getrn, query_cmp); the node binary's other C libraries
  // have theirs (above), so a plain C symbol of the node binary is taken to be OpenSSL's.
  if (C_SYMBOL.test(name) && /\/node$/.test(object)) return { name, area: AREA.openssl };
  return { name, area: AREA.other };
}

/** A perf map name (`JS:*fn location`, `RegExp:source`, `Builtin:Name`, ...) as a function name and area. */
function attributeGenerated(mapName: string, buildDir: string): Attribution {
  const colon = mapName.indexOf(':');
  const kind = mapName.slice(0, colon);
  const rest = mapName.slice(colon + 1);
  if (kind === 'RegExp') return { name: `RegExp ${rest}`, area: AREA.regexp };
  if (rest.startsWith('wasm-')) return { name: rest, area: AREA.wasm };
  if (kind !== 'JS' && kind !== 'Script' && kind !== 'Eval' && kind !== 'Function' && kind !== 'LazyCompile')
    return { name: mapName, area: AREA.builtins };
  const tier = TIERS[rest[0] ?? ''];
  const body = tier ? rest.slice(1) : rest;
  // The location is the last word (a getter's name, `get x`, has a space).
  const space = body.lastIndexOf(' ');
  const fnName = space < 0 ? body : body.slice(0, space);
  const location = space < 0 ? '' : body.slice(space + 1);
  const at = /^(.*):(\d+):(\d+)$/.exec(location);
  const module = sourceName(at ? (at[1] as string) : location, buildDir);
  // Named functions without line numbers, so that the same function matches across two builds.
  const where =
    kind === 'Script'
      ? `(module top level) ${module}`
      : fnName
        ? `${fnName} ${module}`
        : `(anonymous) ${module}${at ? `:${at[2]}:${at[3]}` : ''}`;
  const name = `${where}${tier ? ` (${tier})` : ''}`;
  return { name, area: areaOfModule(module) };
}

/** A script's URL or path, relative to the build (`gateway/src/…`) or to node_modules (`node_modules/<pkg>/…`). */
function sourceName(location: string, buildDir: string): string {
  let path = location;
  if (path.startsWith('file://')) {
    try {
      path = decodeURIComponent(new URL(path).pathname);
    } catch {
      // keep it as it is
    }
  }
  const build = buildDir.endsWith('/') ? buildDir : `${buildDir}/`;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + 1);
  if (path.startsWith(build)) return path.slice(build.length);
  return path;
}

function areaOfModule(module: string): string {
  if (module.startsWith('node:')) return AREA.nodeJs;
  if (module.startsWith('node_modules/')) {
    const parts = module.split('/');
    return parts[1]?.startsWith('@') ? parts.slice(0, 3).join('/') : parts.slice(0, 2).join('/');
  }
  if (module.startsWith('gateway/')) return module.replace(/\.js$/, '');
  return AREA.otherJs;
}

/** Instructions by area and by function (summed over every entry of the same name). */
export interface CostBreakdown {
  total: number;
  areas: Map<string, number>;
  functions: Map<string, { area: string; instructions: number }>;
}

/** Groups one dump's entries by area and by function name. */
export function breakDown(annotation: Annotation, map: PerfMap, buildDir: string): CostBreakdown {
  const areas = new Map<string, number>();
  const functions = new Map<string, { area: string; instructions: number }>();
  let listed = 0;
  for (const entry of annotation.entries) {
    const { name, area } = attribute(entry, map, buildDir);
    areas.set(area, (areas.get(area) ?? 0) + entry.instructions);
    const f = functions.get(name);
    if (f) f.instructions += entry.instructions;
    else functions.set(name, { area, instructions: entry.instructions });
    listed += entry.instructions;
  }
  // --threshold=100 lists every function; anything missing would still count in the total.
  if (annotation.total > listed) areas.set(AREA.other, (areas.get(AREA.other) ?? 0) + annotation.total - listed);
  return { total: annotation.total, areas, functions };
}

/** Reads a callgrind dump and the perf map of the same process, and breaks the dump down. */
export async function breakDownFile(
  callgrindFile: string,
  perfMapFile: string,
  buildDir: string,
): Promise<CostBreakdown> {
  const [annotation, mapText] = await Promise.all([annotate(callgrindFile), readFile(perfMapFile, 'utf8')]);
  return breakDown(annotation, new PerfMap(mapText), buildDir);
}
