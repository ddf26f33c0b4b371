#!/usr/bin/env node
/**
 * `aigw`: one CLI for the three programs (DESIGN.md, The CLI).
 *   aigw serve --config DIR | --compiled-config DIR   the gateway
 *   aigw emulator                                     the Bedrock emulator
 *   aigw operator                                     the operator
 */
import { readFileSync, realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CompiledDirSource, type ConfigSource, ManifestDirSource } from '../config/index.js';
import { createLogger } from '../logging/index.js';
import { SERVER_DEFAULTS, type TokenReviewer } from '../server/index.js';

const USAGE = `aigw — an OpenAI-compatible gateway for AWS Bedrock

Usage:
  aigw serve --config DIR [options]           serve the manifests in DIR (hot-reloaded)
  aigw serve --compiled-config DIR [options]  serve the operator's compiled config (config.json + credentials.json)
  aigw emulator [--port 4566] [--host 127.0.0.1] [--config FILE] [--tls-port N [--tls-ca-file FILE] [--print-ca]]
                [--batch-step-ms MS] [--batch-min-records N]
                [--s3-endpoint URL] [--s3-region R] [--s3-max-bytes N] [--s3-dir DIR]   (docs/emulator.md)
  aigw operator [--namespace NS | --all-namespaces] [--kubeconfig FILE] [--no-leader-election] [--metrics-port N]
                [--redis-url URL]
  aigw --help | --version

serve options:
  --port N                 OpenAI API port (default 8080)
  --host ADDR              listen address (default 0.0.0.0)
  --admin-port N           /healthz, /readyz and /metrics port (default 9090)
  --admin-host ADDR        admin listen address (default: --host)
  --namespace NS           namespace to serve from a manifest dir (default: the one the manifests use)
  --body-limit BYTES       largest request body (default ${SERVER_DEFAULTS.bodyLimitBytes}; suffixes k, m)
  --shutdown-grace SECS    time in-flight requests get after SIGTERM (default ${SERVER_DEFAULTS.shutdownGraceMs / 1000})
  --shutdown-delay SECS    time /readyz fails before the listener closes (default ${SERVER_DEFAULTS.shutdownDelayMs / 1000})
  --log-level LEVEL        trace, debug, info, warn, error or silent (default info; env AIGW_LOG_LEVEL)
  --token-review           accept in-cluster callers' service-account tokens, verified with Kubernetes
                           TokenReview (API server from KUBECONFIG, else the pod's service account)
  --token-review-audience AUD
                           audience the tokens must carry (repeatable; default the API server's)
  --redis-url URL          Redis (or Valkey) counting UsagePolicy limits across replicas (env AIGW_REDIS_URL;
                           password from AIGW_REDIS_PASSWORD or the file AIGW_REDIS_PASSWORD_FILE;
                           CA of a rediss:// server from the PEM file AIGW_REDIS_CA_FILE);
                           default: counted in this process (one replica)

emulator options:
  --port N / --host ADDR   listen address (default 127.0.0.1:4566)
  --config FILE            YAML or JSON emulator options (region, latency, identities, ...)
  --tls-port N             also serve HTTPS on N (0 = any free port) with a CA generated at startup
  --tls-ca-file FILE       write that CA certificate (PEM) to FILE, for clients to trust
  --print-ca               print the CA certificate after the listening lines

operator options:
  --metrics-port N         serve Prometheus /metrics on N (default: off; env AIGW_OPERATOR_METRICS_PORT)
  --redis-url URL          the gateways' shared store, read for UsagePolicy and ModelRoute status (env
                           AIGW_REDIS_URL; password and CA as for serve); default: none (no use, no ejections)
`;

/** A bad command line: printed with a hint, exit code 2. */
class UsageError extends Error {}

/** A start that cannot go on: each line printed to stderr as `aigw: LINE`, exit code 1. */
class StartError extends Error {
  readonly lines: readonly string[];
  constructor(lines: readonly string[]) {
    super(lines.join('\n'));
    this.lines = lines;
  }
}

/**
 * A listener that could not bind, said the way a person fixes it: which address, which flag, why.
 * Anything else is passed through.
 */
function listenFailure(err: unknown, flags: { port: number; flag: string }[]): Error {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e.syscall !== 'listen' && e.code !== 'EADDRINUSE') return err as Error;
  const flag = flags.find((f) => f.port === e.port)?.flag ?? '--port';
  const where = `${e.address ?? 'address'}:${e.port ?? '?'}`;
  const why =
    e.code === 'EADDRINUSE'
      ? `the port is already in use by another process; stop that process or choose another ${flag}`
      : e.code === 'EACCES'
        ? `permission denied (ports below 1024 need privileges); choose another ${flag}`
        : e.code === 'EADDRNOTAVAIL'
          ? "the address is not one of this machine's; choose another --host"
          : (e.code ?? e.message);
  return new StartError([`cannot listen on ${where} (${flag}): ${why}`]);
}

function packageVersion(): string {
  // Works from the sources (gateway/src/cli) and from the build (dist/gateway/src/cli).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'aigateway' && pkg.version) return pkg.version;
    } catch {
      // keep walking up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

function parsePort(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535)
    throw new UsageError(`${flag} must be a port number from 0 to 65535, got '${value}'`);
  return n;
}

function parseSeconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(`${flag} must be a number of seconds, got '${value}'`);
  return Math.round(n * 1000);
}

function parseBytes(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)\s*([kKmM]i?[bB]?)?$/.exec(value.trim());
  if (!match) throw new UsageError(`${flag} must be a byte count such as 20m or 1048576, got '${value}'`);
  const unit = (match[2] ?? '').toLowerCase()[0];
  const bytes = Number(match[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 * 1024 : 1);
  if (bytes < 1024) throw new UsageError(`${flag} must be at least 1k`);
  return bytes;
}

/**
 * Numeric options from `<prefix><OPTION>` variables (`maxAttempts` → `AIGW_UPSTREAM_MAX_ATTEMPTS`), each a
 * non-negative integer in the option's unit (docs/configuration.md: Upstream, Files and storage).
 */
function upstreamOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  keys: readonly string[],
  prefix = 'AIGW_UPSTREAM_',
): Record<string, number> {
  const options: Record<string, number> = {};
  for (const key of keys) {
    const name = `${prefix}${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (!/^\d+$/.test(value.trim())) throw new UsageError(`${name} must be a non-negative integer, got '${value}'`);
    options[key] = Number(value.trim());
  }
  return options;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * The usage-limit store: `--redis-url` or AIGW_REDIS_URL, its password from AIGW_REDIS_PASSWORD or the
 * file named by AIGW_REDIS_PASSWORD_FILE (a mounted Secret); AIGW_LIMITS_STORE_TIMEOUT_MS bounds each
 * store command. AIGW_LIMITS_CLOCK_OFFSET_MS shifts the
 * limiter's clock, so tests can cross minute, day and month windows without waiting for them.
 */
function limitsOptionsFromEnv(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
): {
  redisUrl?: string;
  redisPassword?: string;
  redisCa?: string;
  clockOffsetMs?: number;
  storeTimeoutMs?: number;
  reserveAhead?: boolean;
} {
  const out: {
    redisUrl?: string;
    redisPassword?: string;
    redisCa?: string;
    clockOffsetMs?: number;
    storeTimeoutMs?: number;
    reserveAhead?: boolean;
  } = {};
  const ahead = env.AIGW_LIMITS_RESERVE_AHEAD;
  if (ahead !== undefined && ahead !== '') {
    if (ahead !== 'true' && ahead !== 'false') throw new UsageError('AIGW_LIMITS_RESERVE_AHEAD must be true or false');
    out.reserveAhead = ahead === 'true';
  }
  if (env.AIGW_REDIS_CA_FILE) {
    try {
      out.redisCa = readFileSync(env.AIGW_REDIS_CA_FILE, 'utf8');
    } catch {
      throw new UsageError('AIGW_REDIS_CA_FILE cannot be read');
    }
  }
  const timeout = env.AIGW_LIMITS_STORE_TIMEOUT_MS;
  if (timeout !== undefined && timeout !== '') {
    const n = Number(timeout);
    if (!Number.isSafeInteger(n) || n < 1)
      throw new UsageError('AIGW_LIMITS_STORE_TIMEOUT_MS must be a positive integer');
    out.storeTimeoutMs = n;
  }
  const url = flag ?? env.AIGW_REDIS_URL;
  if (url) {
    if (!/^rediss?:\/\//.test(url)) throw new UsageError('--redis-url must be a redis:// or rediss:// URL');
    out.redisUrl = url;
  }
  if (env.AIGW_REDIS_PASSWORD) out.redisPassword = env.AIGW_REDIS_PASSWORD;
  else if (env.AIGW_REDIS_PASSWORD_FILE) {
    try {
      out.redisPassword = readFileSync(env.AIGW_REDIS_PASSWORD_FILE, 'utf8').trim();
    } catch {
      throw new UsageError('AIGW_REDIS_PASSWORD_FILE cannot be read');
    }
  }
  const offset = env.AIGW_LIMITS_CLOCK_OFFSET_MS;
  if (offset !== undefined && offset !== '') {
    const n = Number(offset);
    if (!Number.isSafeInteger(n)) throw new UsageError('AIGW_LIMITS_CLOCK_OFFSET_MS must be an integer');
    out.clockOffsetMs = n;
  }
  return out;
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: 'string' },
      'compiled-config': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'admin-port': { type: 'string' },
      'admin-host': { type: 'string' },
      namespace: { type: 'string' },
      'body-limit': { type: 'string' },
      'shutdown-grace': { type: 'string' },
      'shutdown-delay': { type: 'string' },
      'log-level': { type: 'string' },
      'token-review': { type: 'boolean' },
      'token-review-audience': { type: 'string', multiple: true },
      'redis-url': { type: 'string' },
    },
  });
  if (values.config && values['compiled-config'])
    throw new UsageError('use either --config or --compiled-config, not both');
  if (!values.config && !values['compiled-config'])
    throw new UsageError('aigw serve needs --config DIR or --compiled-config DIR');
  if (values.namespace && !values.config) throw new UsageError('--namespace applies to --config only');
  if (values['token-review-audience'] && !values['token-review'])
    throw new UsageError('--token-review-audience needs --token-review');
  const level = values['log-level'] ?? process.env.AIGW_LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const port = parsePort(values.port, '--port', 8080);
  const adminPort = parsePort(values['admin-port'], '--admin-port', 9090);
  if (port !== 0 && port === adminPort && !values['admin-host'])
    throw new UsageError(`--port and --admin-port are both ${port}; give them different ports`);
  const server = {
    bodyLimitBytes: parseBytes(values['body-limit'], '--body-limit'),
    shutdownGraceMs: parseSeconds(values['shutdown-grace'], '--shutdown-grace'),
    shutdownDelayMs: parseSeconds(values['shutdown-delay'], '--shutdown-delay'),
  };
  if (values.config) {
    // A mistyped path would otherwise look like a config with nothing in it.
    const kind = await stat(values.config).then(
      (st) => (st.isDirectory() ? undefined : 'not a directory'),
      (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? 'no such directory' : err.message),
    );
    if (kind) throw new StartError([`cannot read ${values.config} (--config): ${kind}`]);
  }
  const source: ConfigSource = values.config
    ? new ManifestDirSource(values.config, values.namespace ? { namespace: values.namespace } : {})
    : new CompiledDirSource(values['compiled-config'] as string);

  const logger = createLogger({ level, program: 'aigw-serve' });
  // Loaded lazily so `aigw emulator` and `aigw --help` do not pay for the gateway's imports.
  const { startGateway } = await import('../server/index.js');
  const { MediaFetcher, mediaFetchOptionsFromEnv } = await import('../fetch/index.js');
  let mediaFetcher: InstanceType<typeof MediaFetcher>;
  try {
    // Image-URL fetching policy (AIGW_MEDIA_FETCH_*); a typo fails here rather than widening the policy.
    mediaFetcher = new MediaFetcher(mediaFetchOptionsFromEnv(process.env));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { imageWorkOptionsFromEnv } = await import('../workers/index.js');
  let imageWork: ReturnType<typeof imageWorkOptionsFromEnv>;
  try {
    // Image worker pool (AIGW_IMAGE_WORK_*): threads, queue, pixel cap, per-job heap and deadline.
    imageWork = imageWorkOptionsFromEnv(process.env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { UPSTREAM_DEFAULTS, describeProxySettings, proxySettingsFromEnv } = await import('../upstream/index.js');
  const upstreamOptions = upstreamOptionsFromEnv(process.env, Object.keys(UPSTREAM_DEFAULTS));
  // Files API limits (AIGW_FILES_MAX_FILE_BYTES, ...) and S3 client settings (AIGW_STORAGE_UPLOAD_PART_BYTES, ...).
  const { FILES_DEFAULTS } = await import('../files/index.js');
  const { STORAGE_DEFAULTS } = await import('../storage/index.js');
  const files = upstreamOptionsFromEnv(process.env, Object.keys(FILES_DEFAULTS), 'AIGW_FILES_');
  const storage = upstreamOptionsFromEnv(process.env, Object.keys(STORAGE_DEFAULTS), 'AIGW_STORAGE_');
  // Batch API options (AIGW_BATCH_MIN_RECORDS, ...).
  const { BATCH_DEFAULTS } = await import('../batches/index.js');
  const batches = upstreamOptionsFromEnv(process.env, Object.keys(BATCH_DEFAULTS), 'AIGW_BATCH_');
  // ModelRoute routing options (AIGW_ROUTING_FAILOVER_FIRST_EVENT_TIMEOUT_MS, ...).
  const { ROUTING_DEFAULTS } = await import('../routing/index.js');
  const routing = upstreamOptionsFromEnv(process.env, Object.keys(ROUTING_DEFAULTS), 'AIGW_ROUTING_');
  const proxy = proxySettingsFromEnv(process.env);
  for (const [name, value] of [
    ['HTTPS_PROXY', proxy.httpsProxy],
    ['HTTP_PROXY', proxy.httpProxy],
  ] as const) {
    if (value && !/^https?:\/\/[^/]/i.test(value))
      throw new UsageError(`${name} must be a proxy URL such as http://proxy.example:3128, got a value that is not`);
  }
  const egress = describeProxySettings(proxy);
  if (egress) logger.info({}, egress);
  // OpenTelemetry tracing when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT, ...).
  const { otlpSignalsFromEnv, tracingFromEnv } = await import('../telemetry/index.js');
  const tracing = await tracingFromEnv(process.env, { version: packageVersion() });
  // GenAI metrics and usage records over OTLP when the environment asks for them (docs/configuration.md).
  const otlp = await otlpSignalsFromEnv(process.env, { version: packageVersion() });
  if (otlp.genAiMirror || otlp.usageRecords)
    logger.info(
      { metrics: otlp.genAiMirror !== undefined, usageRecords: otlp.usageRecords !== undefined },
      'otlp: exporting GenAI metrics and usage records',
    );
  if (tracing)
    logger.info(
      {
        protocol:
          process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
        captureContent: tracing.captureContent,
      },
      'tracing: exporting spans',
    );
  let identityReviewer: TokenReviewer | undefined;
  if (values['token-review']) {
    const { createTokenReviewer } = await import('../server/index.js');
    const audiences = values['token-review-audience'] ?? [];
    try {
      identityReviewer = await createTokenReviewer({ audiences });
    } catch (err) {
      throw new StartError([(err as Error).message]);
    }
    // Not fatal: API keys keep working, and RBAC applied a moment later fixes reviews without a restart.
    const problem = await identityReviewer.probe();
    if (problem) logger.warn({}, `token review: ${problem}`);
    else logger.info({ audiences }, 'token review: in-cluster service-account callers accepted');
  }
  const limits = limitsOptionsFromEnv(values['redis-url'], process.env);
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway({
      source,
      limits,
      host: values.host ?? '0.0.0.0',
      port,
      adminPort,
      ...(values['admin-host'] ? { adminHost: values['admin-host'] } : {}),
      logger,
      mediaFetcher,
      upstreamOptions,
      files,
      storage,
      batches,
      routing,
      imageWork,
      ...(tracing ? { tracer: tracing.tracer, captureContent: tracing.captureContent } : {}),
      server: Object.fromEntries(Object.entries(server).filter(([, v]) => v !== undefined)),
      // Cluster mode starts unready and waits for the operator's config to appear in the volume.
      requireConfig: Boolean(values.config),
      processMetrics: true,
      ...(identityReviewer ? { identityReviewer } : {}),
      ...(otlp.genAiMirror ? { genAiMirror: otlp.genAiMirror } : {}),
      ...(otlp.usageRecords ? { usageRecords: otlp.usageRecords } : {}),
    });
  } catch (err) {
    await identityReviewer?.close();
    const { ConfigStartError } = await import('../server/index.js');
    if (err instanceof ConfigStartError) {
      const count = err.problems.length === 1 ? 'a problem' : `${err.problems.length} problems`;
      throw new StartError([
        `config rejected, cannot start: the ${err.source} have ${count}:`,
        ...err.problems.map((p) => `  ${p}`),
      ]);
    }
    throw listenFailure(err, [
      { port, flag: '--port' },
      { port: adminPort, flag: '--admin-port' },
    ]);
  }
  let signals = 0;
  const stop = (signal: string) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'signal received');
    gateway
      .shutdown()
      .then(() => tracing?.shutdown())
      .then(() => otlp.shutdown())
      .then(() => identityReviewer?.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function emulator(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      config: { type: 'string' },
      'tls-port': { type: 'string' },
      'tls-ca-file': { type: 'string' },
      'print-ca': { type: 'boolean' },
      // Batch timing, record minimum and the batch jobs' S3 (docs/emulator.md, Options).
      'batch-step-ms': { type: 'string' },
      'batch-min-records': { type: 'string' },
      's3-endpoint': { type: 'string' },
      's3-region': { type: 'string' },
      's3-max-bytes': { type: 'string' },
      's3-dir': { type: 'string' },
    },
  });
  // A computed specifier keeps the emulator out of the gateway's module graph (and typecheck) when
  // it is not being run.
  const modulePath = '../../../emulator/src/index.js';
  type TlsOptions = { tlsPort?: number; tlsCaFile?: string };
  const mod = (await import(modulePath)) as {
    startEmulator?: (o: { port?: number; host?: string } & TlsOptions) => Promise<{
      url: string;
      tls: { url: string; caCertificate: string } | undefined;
      close(): Promise<void>;
    }>;
    loadEmulatorConfig?: (path: string) => Promise<{ port?: number; host?: string } & TlsOptions>;
    applyEmulatorCliOptions?: <T>(base: T, flags: Record<string, string | boolean | undefined>) => T;
  };
  if (!mod.startEmulator || !mod.loadEmulatorConfig || !mod.applyEmulatorCliOptions) {
    throw new Error('this build does not include the emulator');
  }
  // docs/emulator.md: `--config FILE` holds the startEmulator options (region, latency, identities);
  // flags given on the command line win over the file's port and host.
  const fromFile = mod.applyEmulatorCliOptions(
    values.config === undefined ? {} : await mod.loadEmulatorConfig(values.config),
    values,
  );
  const port = parsePort(values.port, '--port', fromFile.port ?? 4566);
  const host = values.host ?? fromFile.host;
  // docs/emulator.md, "HTTPS": an optional TLS listener whose CA is generated at startup.
  const tlsPort = values['tls-port'] === undefined ? fromFile.tlsPort : parsePort(values['tls-port'], '--tls-port', 0);
  const tlsCaFile = values['tls-ca-file'] ?? fromFile.tlsCaFile;
  if (tlsPort === undefined && (tlsCaFile !== undefined || values['print-ca'])) {
    throw new UsageError('--tls-ca-file and --print-ca need --tls-port');
  }
  const running = await mod
    .startEmulator({
      ...fromFile,
      port,
      ...(host ? { host } : {}),
      ...(tlsPort !== undefined ? { tlsPort } : {}),
      ...(tlsCaFile !== undefined ? { tlsCaFile } : {}),
    })
    .catch((err: unknown) => {
      throw listenFailure(err, [
        { port, flag: '--port' },
        ...(tlsPort !== undefined ? [{ port: tlsPort, flag: '--tls-port' }] : []),
      ]);
    });
  process.stdout.write(`aigw emulator listening on ${running.url}\n`);
  if (running.tls) {
    const where = tlsCaFile === undefined ? '' : ` (CA certificate written to ${tlsCaFile})`;
    process.stdout.write(`aigw emulator TLS listening on ${running.tls.url}${where}\n`);
    if (values['print-ca']) process.stdout.write(running.tls.caCertificate);
  }
  const stop = () => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function operator(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      namespace: { type: 'string' },
      'all-namespaces': { type: 'boolean' },
      kubeconfig: { type: 'string' },
      'no-leader-election': { type: 'boolean' },
      'output-name': { type: 'string' },
      'log-level': { type: 'string' },
      'metrics-port': { type: 'string' },
      'redis-url': { type: 'string' },
    },
  });
  const redisUrl = values['redis-url'];
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl))
    throw new UsageError('--redis-url must be a redis:// or rediss:// URL');
  const metricsPort =
    values['metrics-port'] === undefined ? undefined : parsePort(values['metrics-port'], '--metrics-port', 9091);
  if (values.namespace && values['all-namespaces']) throw new UsageError('use either --namespace or --all-namespaces');
  const modulePath = '../../../operator/src/index.js';
  let mod: { runOperator?: (o: Record<string, unknown>) => Promise<{ stop(): Promise<void> }> };
  try {
    mod = (await import(modulePath)) as typeof mod;
  } catch (err) {
    throw new Error(`the operator is not available in this build: ${(err as Error).message}`);
  }
  if (!mod.runOperator) throw new Error('the operator is not available in this build');
  const logger = createLogger({
    level: values['log-level'] ?? process.env.AIGW_LOG_LEVEL ?? 'info',
    program: 'aigw-operator',
  });
  // Reconcile traces when an OTLP endpoint is configured (the same OTEL_* variables as `serve`).
  const { tracingFromEnv } = await import('../telemetry/index.js');
  const tracing = await tracingFromEnv(process.env, { version: packageVersion(), serviceName: 'aigateway-operator' });
  const running = await mod.runOperator({
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values['all-namespaces'] ? { allNamespaces: true } : {}),
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    ...(values['no-leader-election'] ? { leaderElection: false } : {}),
    ...(values['output-name'] ? { outputName: values['output-name'] } : {}),
    ...(tracing ? { tracer: tracing.tracer } : {}),
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    ...(redisUrl !== undefined ? { redisUrl } : {}),
    logger,
  });
  const stop = () => {
    running
      .stop()
      .then(() => tracing?.shutdown())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function isThisScript(path: string): boolean {
  if (path.endsWith('/aigw')) return true;
  try {
    return realpathSync(path) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/** Runs the CLI with `argv` (without node and script); exported for tests. */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return;
      case '-v':
      case '--version':
      case 'version':
        process.stdout.write(`aigw ${packageVersion()}\n`);
        return;
      case 'serve':
        if (rest.includes('--help') || rest.includes('-h')) return void process.stdout.write(USAGE);
        await serve(rest);
        return;
      case 'emulator':
        if (rest.includes('--help') || rest.includes('-h')) return void process.stdout.write(USAGE);
        await emulator(rest);
        return;
      case 'operator':
        if (rest.includes('--help') || rest.includes('-h')) return void process.stdout.write(USAGE);
        await operator(rest);
        return;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (err) {
    const parseError = (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (err instanceof UsageError || parseError) {
      process.stderr.write(`aigw: ${(err as Error).message}\nRun 'aigw --help' for usage.\n`);
      process.exitCode = 2;
      return;
    }
    // Indented lines continue the one before (the problems under "cannot start").
    const lines = err instanceof StartError ? err.lines : [(err as Error).message];
    process.stderr.write(lines.map((line) => (line.startsWith(' ') ? `${line}\n` : `aigw: ${line}\n`)).join(''));
    process.exitCode = 1;
  }
}

// Run when executed directly (not when imported by a test). The script may be reached through a
// symlink (npm's bin link, a symlinked checkout), so compare real paths.
const invoked = process.argv[1] ? isThisScript(process.argv[1]) : false;
if (invoked) await main(process.argv.slice(2));
