/**
 * A real OpenTelemetry Collector for the tracing suite, built from the collector's own Go modules by
 * test/tools/build-otelcol.sh (OTLP receiver on gRPC and HTTP, file exporter). It listens on free
 * loopback ports and writes every received trace batch as OTLP JSON lines into a temp dir; tests read
 * the spans back from there. Without the binary the suite is skipped with a printed reason, except under
 * CI (CI=true), where a missing binary is a failure: CI builds it first.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN_CACHE = join(process.env.AIGW_CACHE ?? join(homedir(), '.cache', 'aigateway'), 'bin');

/** `OTELCOL_BIN` first, else the newest `otelcol-v*` in the binary cache. */
export function findOtelcol(): string | undefined {
  const env = process.env.OTELCOL_BIN;
  if (env) return existsSync(env) ? env : undefined;
  if (!existsSync(BIN_CACHE)) return undefined;
  const dirs = readdirSync(BIN_CACHE)
    .filter((d) => d.startsWith('otelcol-v') && existsSync(join(BIN_CACHE, d, 'otelcol')))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const newest = dirs.at(-1);
  return newest ? join(BIN_CACHE, newest, 'otelcol') : undefined;
}

/** Whether the collector suite can run (see the module docs for the CI policy). */
export function otelcolAvailability(): { run: boolean; reason: string } {
  if (findOtelcol()) return { run: true, reason: '' };
  const reason = 'missing otelcol: run test/tools/build-otelcol.sh (or set OTELCOL_BIN)';
  if (process.env.CI === 'true') throw new Error(`tracing suite cannot run under CI: ${reason}`);
  console.warn(`[otelcol suite skipped] ${reason}`);
  return { run: false, reason };
}

/** An attribute value as OTLP JSON carries it, decoded. */
export type AttrValue = string | number | boolean | AttrValue[] | undefined;

/** One exported span, decoded from the collector's OTLP JSON. */
export interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  attributes: Record<string, AttrValue>;
  resource: Record<string, AttrValue>;
  events: Array<{ name: string; attributes: Record<string, AttrValue> }>;
  links: Array<{ traceId: string; spanId: string; attributes: Record<string, AttrValue> }>;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

export interface Collector {
  /** `http://127.0.0.1:<port>` of the OTLP/HTTP receiver. */
  readonly httpEndpoint: string;
  /** `http://127.0.0.1:<port>` of the OTLP/gRPC receiver. */
  readonly grpcEndpoint: string;
  /** Every span received so far. */
  spans(): Promise<ExportedSpan[]>;
  /** Polls until `done(spans)` holds (or throws after `timeoutMs` with what arrived). */
  waitFor(done: (spans: ExportedSpan[]) => boolean, timeoutMs?: number): Promise<ExportedSpan[]>;
  /** Every OTLP JSON batch received so far (traces, metrics and logs alike), as the file exporter wrote it. */
  batches(): Promise<unknown[]>;
  output(): string;
  close(): Promise<void>;
}

/** A free loopback TCP port (bound and released; the collector binds it right after). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts the collector; resolves once both receivers accept connections. */
export async function startCollector(): Promise<Collector> {
  const bin = findOtelcol();
  if (!bin) throw new Error('otelcol binary not found');
  const dir = await mkdtemp(join(tmpdir(), 'aigw-otelcol-'));
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const out = join(dir, 'traces.jsonl');
  // Self-telemetry off: its default metrics listener (:8888) would clash between parallel collectors.
  const config = `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${grpcPort}
      http:
        endpoint: 127.0.0.1:${httpPort}
exporters:
  file:
    path: ${out}
    format: json
    flush_interval: 50ms
service:
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [file]
    metrics:
      receivers: [otlp]
      exporters: [file]
    logs:
      receivers: [otlp]
      exporters: [file]
`;
  const configPath = join(dir, 'config.yaml');
  await writeFile(configPath, config);
  let output = '';
  const child: ChildProcess = spawn(bin, ['--config', `file:${configPath}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  while (!((await accepting(httpPort)) && (await accepting(grpcPort)))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`otelcol did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  const spans = async (): Promise<ExportedSpan[]> => {
    let text: string;
    try {
      text = await readFile(out, 'utf8');
    } catch {
      return [];
    }
    const all: ExportedSpan[] = [];
    for (const line of text.split('\n')) {
      // A line still being written is picked up on the next read.
      if (!line.trim()) continue;
      let batch: OtlpTraces;
      try {
        batch = JSON.parse(line) as OtlpTraces;
      } catch {
        continue;
      }
      for (const rs of batch.resourceSpans ?? []) {
        const resource = decodeAttributes(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            all.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: s.kind ?? 0,
              statusCode: s.status?.code ?? 0,
              attributes: decodeAttributes(s.attributes),
              resource,
              events: (s.events ?? []).map((e) => ({ name: e.name, attributes: decodeAttributes(e.attributes) })),
              links: (s.links ?? []).map((l) => ({
                traceId: l.traceId,
                spanId: l.spanId,
                attributes: decodeAttributes(l.attributes),
              })),
            });
      }
    }
    return all;
  };

  return {
    httpEndpoint: `http://127.0.0.1:${httpPort}`,
    grpcEndpoint: `http://127.0.0.1:${grpcPort}`,
    spans,
    async waitFor(done, timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const all = await spans();
        if (done(all)) return all;
        if (Date.now() > end)
          throw new Error(`spans did not arrive; got ${all.map((s) => s.name).join(', ')}\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async batches() {
      let text: string;
      try {
        text = await readFile(out, 'utf8');
      } catch {
        return [];
      }
      const all: unknown[] = [];
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        try {
          all.push(JSON.parse(line));
        } catch {
          // a line still being written is picked up on the next read
        }
      }
      return all;
    },
    output: () => output,
    async close() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpAnyValue[] };
}
export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpTraces {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: Array<{
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind?: number;
        status?: { code?: number };
        attributes?: OtlpKeyValue[];
        events?: Array<{ name: string; attributes?: OtlpKeyValue[] }>;
        links?: Array<{ traceId: string; spanId: string; attributes?: OtlpKeyValue[] }>;
      }>;
    }>;
  }>;
}

function decodeValue(v: OtlpAnyValue | undefined): AttrValue {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(decodeValue);
  return undefined;
}

export function decodeAttributes(list: OtlpKeyValue[] | undefined): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of list ?? []) out[kv.key] = decodeValue(kv.value);
  return out;
}
