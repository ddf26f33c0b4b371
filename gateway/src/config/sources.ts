/**
 * Where a gateway's config comes from. Standalone: a directory of manifests compiled in-process.
 * Cluster: the operator's compiled `config.json` + `credentials.json`, mounted as one projected
 * volume (kubernetes-design.md §6), loaded only when both carry the same revision.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CompileProblem, compileConfig } from './compile.js';
import { loadManifests, ManifestError, sourceOf } from './load.js';
import { ROUTE_RETRY_ON } from './model-route.js';
import type { CompiledConfig, CompiledCredentials, RouteRetryOn } from './types.js';

type Rec = Record<string, unknown>;
const ROUTE_TYPES: readonly unknown[] = ['chat', 'embedding', 'image'];

/** A config that cannot be served; the message is safe to log (it never contains secret values). */
export class ConfigRejectedError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.length === 1 ? (problems[0] ?? '') : `${problems.length} problems: ${problems.join('; ')}`);
    this.name = 'ConfigRejectedError';
    this.problems = problems;
  }
}

export type SourceLoadResult =
  | { status: 'ready'; config: CompiledConfig; credentials: CompiledCredentials; notes: string[] }
  /** Not an error: the inputs are mid-update (e.g. kubelet has refreshed one of two files). Retry later. */
  | { status: 'pending'; reason: string };

export interface ConfigSource {
  /** For logs: what is watched. */
  readonly description: string;
  /** The directory to watch. */
  readonly dir: string;
  /** A cheap digest of the inputs; the store reloads only when it changes. */
  fingerprint(): Promise<string>;
  /** @throws ConfigRejectedError when the inputs are invalid. */
  load(): Promise<SourceLoadResult>;
}

const MANIFEST_RE = /\.(ya?ml|json)$/i;

/** `aigw serve --config DIR`: manifests compiled by the shared compiler; any problem rejects the whole config. */
export class ManifestDirSource implements ConfigSource {
  readonly description: string;
  readonly dir: string;
  readonly #namespace: string | undefined;
  readonly #env: Readonly<Record<string, string | undefined>>;

  /**
   * @param options.namespace the namespace to serve; when absent, the one namespace the manifests use
   *   (objects without one count as `default`), and a set spanning several namespaces is rejected.
   * @param options.env the variables `${NAME}` in the manifests expand from; default `process.env`.
   */
  constructor(dir: string, options: { namespace?: string; env?: Readonly<Record<string, string | undefined>> } = {}) {
    this.dir = dir;
    this.description = `manifests in ${dir}`;
    this.#namespace = options.namespace;
    this.#env = options.env ?? process.env;
  }

  fingerprint(): Promise<string> {
    return digestDir(this.dir, (name) => MANIFEST_RE.test(name));
  }

  async load(): Promise<SourceLoadResult> {
    let loaded: Awaited<ReturnType<typeof loadManifests>>;
    try {
      loaded = await loadManifests(this.dir, { env: this.#env });
    } catch (err) {
      if (err instanceof ManifestError) throw new ConfigRejectedError([err.message]);
      throw new ConfigRejectedError([`cannot read ${this.dir}: ${readFailure(err)}`]);
    }
    const { resources, ignored } = loaded;
    const namespace =
      this.#namespace ?? pickNamespace([...resources.accounts, ...resources.models, ...resources.secrets]);
    const { config, credentials, problems } = compileConfig(resources, { namespace });
    if (problems.length > 0) throw new ConfigRejectedError(summarizeProblems(problems));
    const notes = emptinessNotes(this.dir, loaded.files, config);
    notes.push(
      ...ignored.map((d) => `${d.file}#${d.document} ignored: ${d.apiVersion} ${d.kind} '${d.name}' is not served`),
    );
    const skipped = [
      ...resources.accounts,
      ...resources.models,
      ...resources.secrets,
      ...(resources.usagePolicies ?? []),
      ...(resources.modelRoutes ?? []),
    ].filter((o) => o.metadata.namespace && o.metadata.namespace !== namespace);
    for (const o of skipped)
      notes.push(`${o.kind} '${o.metadata.namespace}/${o.metadata.name}' skipped: not in namespace ${namespace}`);
    return { status: 'ready', config, credentials, notes };
  }
}

function pickNamespace(objects: { metadata: { namespace?: string } }[]): string {
  const namespaces = new Set(objects.map((o) => o.metadata.namespace || 'default'));
  if (namespaces.size > 1) {
    throw new ConfigRejectedError([
      `manifests span several namespaces (${[...namespaces].sort().join(', ')}); choose one with --namespace`,
    ]);
  }
  return [...namespaces][0] ?? 'default';
}

/**
 * What a directory that loads without errors still lacks, each a warning a person should see: a
 * gateway serving nothing otherwise starts as quietly as one serving everything.
 */
function emptinessNotes(dir: string, files: readonly string[], config: CompiledConfig): string[] {
  if (files.length === 0) return [`${dir} holds no manifests (*.yaml, *.yml, *.json): no model is served`];
  const notes: string[] = [];
  if (config.accounts.length === 0)
    notes.push(`no ProviderAccount in ${dir} (namespace ${config.namespace}): no model is served`);
  else if (config.models.length === 0)
    notes.push(`no Model in ${dir} (namespace ${config.namespace}): no model is served`);
  if (config.apiKeys.length === 0)
    notes.push(
      `no api-key Secret (type aigateway.dev/api-key) in ${dir} (namespace ${config.namespace}): no API key is accepted`,
    );
  return notes;
}

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such directory';
  if (code === 'ENOTDIR') return 'not a directory';
  if (code === 'EACCES') return 'permission denied';
  return (err as Error).message;
}

/**
 * One line per thing to fix, for people: a problem that only follows from another object's problems (the
 * Models of a broken ProviderAccount, the targets of a route on those Models) is left out, and every
 * reference to the same missing object is one line (a missing Secret shared by two accounts is one thing
 * to add, not two). Consequences chain (account → Model → route); the first cause is always shown, since
 * a problem is left out only when the object it follows from has problems of its own.
 */
export function summarizeProblems(problems: readonly CompileProblem[]): string[] {
  const broken = new Set(problems.map((p) => `${p.kind}/${p.name}`));
  const lines: string[] = [];
  const missing = new Map<string, { line: number; places: string[]; message: string }>();
  for (const problem of problems) {
    const cause = problem.consequenceOf;
    if (cause && broken.has(`${cause.kind}/${cause.name}`)) continue;
    if (problem.missing) {
      const place = `${locate(problem)} ${problem.path}`;
      const seen = missing.get(problem.missing);
      if (seen) {
        seen.places.push(place);
        continue;
      }
      missing.set(problem.missing, { line: lines.length, places: [place], message: problem.message });
      lines.push('');
      continue;
    }
    lines.push(formatProblem(problem));
  }
  for (const { line, places, message } of missing.values()) {
    const shown = places.slice(0, MAX_PLACES_SHOWN).join(', ');
    const more = places.length > MAX_PLACES_SHOWN ? ` and ${places.length - MAX_PLACES_SHOWN} more` : '';
    lines[line] = places.length === 1 ? `${places[0]}: ${message}` : `${message}: referenced by ${shown}${more}`;
  }
  return lines;
}

/** References listed on the line of a missing object before "and N more". */
const MAX_PLACES_SHOWN = 3;

function locate(problem: CompileProblem): string {
  const source = sourceOf(problem.object);
  return source ? `${source.file}#${source.document}` : `${problem.kind} ${problem.namespace}/${problem.name}`;
}

/** `file#doc path: message`, the form a user can jump to. */
export function formatProblem(problem: CompileProblem): string {
  return `${locate(problem)} ${problem.path}: ${problem.message}`;
}

/** File names inside a compiled-config directory. */
export const COMPILED_CONFIG_FILE = 'config.json';
export const COMPILED_CREDENTIALS_FILE = 'credentials.json';

/** `aigw serve --compiled-config DIR`: the operator's output, mounted from a ConfigMap/Secret pair. */
export class CompiledDirSource implements ConfigSource {
  readonly description: string;
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    this.description = `compiled config in ${dir}`;
  }

  fingerprint(): Promise<string> {
    return digestDir(this.dir, (name) => name === COMPILED_CONFIG_FILE || name === COMPILED_CREDENTIALS_FILE);
  }

  async load(): Promise<SourceLoadResult> {
    const configText = await readOptional(join(this.dir, COMPILED_CONFIG_FILE));
    const credentialsText = await readOptional(join(this.dir, COMPILED_CREDENTIALS_FILE));
    // The projected volume is `optional: true`, so either file may not exist yet on a fresh pod.
    if (configText === undefined) return { status: 'pending', reason: `${COMPILED_CONFIG_FILE} not present yet` };
    if (credentialsText === undefined) {
      return { status: 'pending', reason: `${COMPILED_CREDENTIALS_FILE} not present yet` };
    }
    const config = parseJson(configText, COMPILED_CONFIG_FILE);
    const credentials = parseJson(credentialsText, COMPILED_CREDENTIALS_FILE);
    const problems = [...checkCompiledConfig(config), ...checkCompiledCredentials(credentials)];
    if (problems.length > 0) throw new ConfigRejectedError(problems);
    const c = config as CompiledConfig;
    const k = credentials as CompiledCredentials;
    // Kubelet refreshes the sources of a projected volume independently; a mismatch means one half
    // has landed and the other has not. Wait for the next change instead of serving a mix.
    if (c.revision !== k.revision) {
      return { status: 'pending', reason: `revisions differ (config ${c.revision}, credentials ${k.revision})` };
    }
    return { status: 'ready', config: c, credentials: k, notes: [] };
  }
}

function checkCompiledConfig(value: unknown): string[] {
  const where = COMPILED_CONFIG_FILE;
  if (!isRec(value)) return [`${where}: must be a JSON object`];
  const problems: string[] = [];
  if (typeof value.revision !== 'string' || value.revision === '') problems.push(`${where} revision: is required`);
  if (typeof value.namespace !== 'string') problems.push(`${where} namespace: is required`);
  for (const field of ['accounts', 'models', 'apiKeys'] as const) {
    const list = value[field];
    if (!Array.isArray(list)) {
      problems.push(`${where} ${field}: must be a list`);
      continue;
    }
    list.forEach((item: unknown, i: number) => {
      if (!isRec(item)) problems.push(`${where} ${field}[${i}]: must be an object`);
      else if (
        field === 'accounts' &&
        (typeof item.name !== 'string' || typeof item.region !== 'string' || !isRec(item.auth))
      )
        problems.push(`${where} accounts[${i}]: needs name, region and auth`);
      else if (field === 'models' && (typeof item.servedName !== 'string' || typeof item.modelId !== 'string'))
        problems.push(`${where} models[${i}]: needs servedName and modelId`);
      else if (field === 'apiKeys' && (typeof item.sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(item.sha256)))
        problems.push(`${where} apiKeys[${i}].sha256: must be 64 hex digits`);
    });
  }
  if (value.usagePolicies !== undefined) {
    // Written by the operator from validated UsagePolicies; a hand-made file must not crash the limiter.
    if (!Array.isArray(value.usagePolicies)) problems.push(`${where} usagePolicies: must be a list`);
    else
      value.usagePolicies.forEach((p: unknown, i: number) => {
        if (
          !isRec(p) ||
          typeof p.id !== 'string' ||
          typeof p.name !== 'string' ||
          !Array.isArray(p.subjects) ||
          (p.per !== 'subject' && p.per !== 'shared') ||
          !isRec(p.limits) ||
          typeof p.timeZone !== 'string' ||
          (p.failureMode !== 'open' && p.failureMode !== 'closed') ||
          (p.models !== undefined && !Array.isArray(p.models))
        )
          problems.push(
            `${where} usagePolicies[${i}]: needs id, name, subjects, per, limits, timeZone and failureMode`,
          );
      });
  }
  if (value.routes !== undefined) {
    // Written by the operator from validated ModelRoutes; a hand-made file must not crash target choice.
    if (!Array.isArray(value.routes)) problems.push(`${where} routes: must be a list`);
    else
      value.routes.forEach((r: unknown, i: number) => {
        if (
          !isRec(r) ||
          typeof r.servedName !== 'string' ||
          typeof r.name !== 'string' ||
          !ROUTE_TYPES.includes(r.type as string) ||
          !Array.isArray(r.targets) ||
          r.targets.length === 0 ||
          !r.targets.every(
            (t: unknown) =>
              isRec(t) &&
              typeof t.servedName === 'string' &&
              Number.isSafeInteger(t.weight) &&
              (t.weight as number) >= 0 &&
              Number.isSafeInteger(t.priority) &&
              (t.priority as number) >= 0,
          ) ||
          !Array.isArray(r.retryOn) ||
          !r.retryOn.every((x: unknown) => ROUTE_RETRY_ON.includes(x as RouteRetryOn)) ||
          !Number.isSafeInteger(r.maxAttempts) ||
          (r.maxAttempts as number) < 1 ||
          !isRec(r.ejection) ||
          typeof r.promptCacheAffinity !== 'boolean'
        )
          problems.push(
            `${where} routes[${i}]: needs servedName, name, type, targets (servedName, weight, priority), retryOn, maxAttempts, ejection and promptCacheAffinity`,
          );
        else {
          // A target must be a model of the file, of the route's type: a chat request must never reach an
          // embedding model because a hand-made file said so.
          const models = Array.isArray(value.models) ? value.models : [];
          for (const t of r.targets as { servedName: string }[]) {
            const model = models.find((m: unknown) => isRec(m) && m.servedName === t.servedName) as Rec | undefined;
            if (!model) problems.push(`${where} routes[${i}]: target '${t.servedName}' is not one of models`);
            else if (model.type !== r.type)
              problems.push(
                `${where} routes[${i}]: target '${t.servedName}' is not of the route's type ${String(r.type)}`,
              );
          }
        }
      });
  }
  if (Array.isArray(value.accounts)) {
    for (const account of value.accounts)
      if (isRec(account) && !Array.isArray(account.collaborators)) account.collaborators = [];
  }
  if (Array.isArray(value.apiKeys)) {
    for (const key of value.apiKeys) if (isRec(key) && !Array.isArray(key.teams)) key.teams = [];
  }
  return problems;
}

function checkCompiledCredentials(value: unknown): string[] {
  const where = COMPILED_CREDENTIALS_FILE;
  if (!isRec(value)) return [`${where}: must be a JSON object`];
  const problems: string[] = [];
  if (typeof value.revision !== 'string' || value.revision === '') problems.push(`${where} revision: is required`);
  if (!isRec(value.accounts)) problems.push(`${where} accounts: must be an object keyed by account name`);
  return problems;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigRejectedError([`${file}: invalid JSON (${(err as Error).message})`]);
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigRejectedError([`cannot read ${path}: ${(err as Error).message}`]);
  }
}

/** SHA-256 over the names and contents of the matching files; follows kubelet's `..data` symlinks. */
async function digestDir(dir: string, include: (name: string) => boolean): Promise<string> {
  const hash = createHash('sha256');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => !n.startsWith('.') && include(n)).sort();
  } catch (err) {
    return `unreadable:${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
  for (const name of names) {
    hash.update(name);
    hash.update('\0');
    try {
      hash.update(await readFile(join(dir, name)));
    } catch {
      hash.update('<unreadable>');
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}

function isRec(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
