/**
 * Summarises a sampling heap profile written by bench/lib/heap-sample.ts (`node dist/bench/run.js --heap-profile
 * DIR`): bytes allocated per stream or request, by module and by allocating function. Allocations made inside
 * V8 built-ins (an array growing in `push`, a `Map`, `Object.keys`) count towards the nearest caller with a source
 * file, which is where the code could allocate less. With `<name>.window.json` beside the profile (the number of
 * streams or requests of the sampled run) the figures are per stream or request, else totals.
 *
 * Usage: node dist/bench/heap-summary.js FILE.heapprofile [--top N]
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

export interface HeapSummary {
  file: string;
  /** Streams or requests in the sampled run, when known. */
  requests: number | undefined;
  totalBytes: number;
  byModule: [string, number][];
  bySite: [string, number][];
}

/** Where a source file belongs: the gateway's own directories, a package, or Node.js itself. */
function moduleOf(url: string): string {
  if (url.startsWith('node:')) return 'Node.js';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1] as string;
  const own = /\/(gateway\/src\/[^/]+)\//.exec(url);
  if (own) return own[1] as string;
  return url === '' ? 'V8 (no caller with a source)' : (url.split('/').pop() ?? url);
}

function siteOf(frame: HeapNode['callFrame']): string {
  const file = frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/(gateway|bench)\//, '$1/');
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
}

export function summariseHeapProfile(file: string, top = 25): HeapSummary {
  const head = (JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode }).head;
  const windowFile = file.replace(/\.heapprofile$/, '.window.json');
  const requests = existsSync(windowFile)
    ? (JSON.parse(readFileSync(windowFile, 'utf8')) as { streams: number }).streams
    : undefined;
  const byModule = new Map<string, number>();
  const bySite = new Map<string, number>();
  let totalBytes = 0;
  const walk = (node: HeapNode, owner: HeapNode['callFrame'] | undefined) => {
    const frame = node.callFrame;
    const attributed = frame.url !== '' ? frame : owner;
    if (node.selfSize > 0) {
      totalBytes += node.selfSize;
      const site = attributed ? siteOf(attributed) : `${frame.functionName || '(root)'} (V8)`;
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
      const module = moduleOf(attributed?.url ?? '');
      byModule.set(module, (byModule.get(module) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, attributed);
  };
  walk(head, undefined);
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { file, requests, totalBytes, byModule: sorted(byModule).slice(0, top), bySite: sorted(bySite).slice(0, top) };
}

export function formatHeapSummary(s: HeapSummary): string {
  const per = s.requests ? s.requests : 1;
  const unit = s.requests ? 'bytes per stream or request' : 'bytes';
  const lines = [
    `${s.file}: ${(s.totalBytes / 1e6).toFixed(1)} MB allocated${
      s.requests ? ` over ${s.requests} streams or requests, ${(s.totalBytes / per / 1024).toFixed(1)} KiB each` : ''
    } (sampled).`,
    '',
    `| module | ${unit} | share |`,
    '|---|---|---|',
  ];
  for (const [name, bytes] of s.byModule)
    lines.push(`| ${name} | ${(bytes / per).toFixed(0)} | ${((bytes / s.totalBytes) * 100).toFixed(1)} % |`);
  lines.push(
    '',
    `| allocating function (V8 built-ins count towards their caller) | ${unit} | share |`,
    '|---|---|---|',
  );
  for (const [site, bytes] of s.bySite)
    lines.push(
      `| \`${site.replaceAll('|', '\\|')}\` | ${(bytes / per).toFixed(0)} | ${((bytes / s.totalBytes) * 100).toFixed(1)} % |`,
    );
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('heap-summary.js')) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' } },
  });
  if (positionals.length !== 1) {
    process.stderr.write('usage: heap-summary FILE.heapprofile [--top N]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatHeapSummary(summariseHeapProfile(positionals[0] as string, Number(values.top)))}\n`);
}
