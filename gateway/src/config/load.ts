/**
 * Reads a directory of Kubernetes-style manifests (the files one would `kubectl apply`) into a
 * ResourceSet. Only the shape needed to sort documents by kind is checked here; field validation is
 * the compiler's job, so the operator (which gets objects from the API server) and standalone mode
 * report the same problems. Each object remembers the file and document it came from, so the
 * compiler's field paths can be reported as `accounts.yaml#2 spec.auth.type: ...`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  API_VERSION,
  type Model,
  type ModelRoute,
  type ProviderAccount,
  type ResourceSet,
  type Secret,
  type UsagePolicy,
} from './types.js';

/** Where an object was read from: the file (the directory joined with its name) and its 1-based document index. */
export interface ManifestSource {
  file: string;
  document: number;
}

/** A manifest that cannot be read or is not an object of a known shape. */
export class ManifestError extends Error {
  readonly file: string;
  readonly document: number | undefined;
  readonly path: string | undefined;

  constructor(source: { file: string; document?: number; path?: string }, message: string) {
    super(`${formatSource(source)}${source.path ? ` ${source.path}` : ''}: ${message}`);
    this.name = 'ManifestError';
    this.file = source.file;
    this.document = source.document;
    this.path = source.path;
  }
}

/** A document of a kind the gateway does not serve; reported, never fatal (a manifest dir may hold ConfigMaps, Deployments, ...). */
export interface IgnoredDocument extends ManifestSource {
  apiVersion: string;
  kind: string;
  name: string;
}

export interface LoadedManifests {
  resources: ResourceSet;
  ignored: IgnoredDocument[];
  /** The manifest files read (directory joined with name), in load order. */
  files: string[];
}

const sources = new WeakMap<object, ManifestSource>();

/** The file and document an object was loaded from, when it came from {@link loadManifestDir}. */
export function sourceOf(object: object): ManifestSource | undefined {
  return sources.get(object);
}

function formatSource(source: { file: string; document?: number }): string {
  return source.document === undefined ? source.file : `${source.file}#${source.document}`;
}

const MANIFEST_RE = /\.(ya?ml|json)$/i;

/** Options of {@link loadManifests} and {@link parseManifestText}. */
export interface LoadOptions {
  /**
   * Expand `${NAME}` and `${NAME:-default}` in string values from these variables (docs/configuration.md,
   * "Environment variables in manifests"); absent = no expansion. `$${` stands for a literal `${`.
   */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Loads every `*.yaml`, `*.yml` and `*.json` file directly inside `dir` (sorted by name; dot-files
 * skipped, which also skips the `..data` links kubelet creates). Multi-document YAML is allowed.
 * Kinds other than ProviderAccount, Model, UsagePolicy, ModelRoute (aigateway.dev/v1alpha1) and Secret (v1) are returned in
 * `ignored`; `List` objects are flattened as kubectl does.
 *
 * @throws ManifestError naming file, document and field when a file cannot be parsed.
 */
export async function loadManifests(dir: string, options: LoadOptions = {}): Promise<LoadedManifests> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.') && MANIFEST_RE.test(e.name))
    .map((e) => e.name)
    .sort();
  const resources: ResourceSet = { accounts: [], models: [], secrets: [], usagePolicies: [], modelRoutes: [] };
  const ignored: IgnoredDocument[] = [];
  const paths = files.map((file) => join(dir, file));
  for (const path of paths) {
    const text = await readFile(path, 'utf8');
    parseManifestText(text, path, resources, ignored, options);
  }
  return { resources, ignored, files: paths };
}

/** {@link loadManifests} without the list of ignored documents. */
export async function loadManifestDir(dir: string, options: LoadOptions = {}): Promise<ResourceSet> {
  return (await loadManifests(dir, options)).resources;
}

/**
 * Parses one file's text into `into`. Exposed for tests and for callers holding manifests in memory.
 *
 * @throws ManifestError on YAML syntax errors or documents that are not objects with apiVersion, kind and metadata.name.
 */
export function parseManifestText(
  text: string,
  file: string,
  into: ResourceSet,
  ignored: IgnoredDocument[] = [],
  options: LoadOptions = {},
): void {
  // JSON is a subset of YAML 1.2, so one parser serves both.
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  if (!Array.isArray(docs)) {
    // An empty stream parses to an EmptyStream marker: nothing to load.
    return;
  }
  docs.forEach((doc, i) => {
    const document = i + 1;
    const first = doc.errors[0];
    if (first) throw new ManifestError({ file, document }, first.message.split('\n')[0] ?? 'invalid YAML');
    const parsed: unknown = doc.toJS({ maxAliasCount: 100 });
    if (parsed === null || parsed === undefined) return; // `---` with nothing after it
    // Expanded after parsing, value by value, so a variable can never change the document's structure.
    const value = options.env ? expandEnv(parsed, options.env, { file, document }, '') : parsed;
    addObject(value, { file, document }, '', into, ignored);
  });
}

function addObject(
  value: unknown,
  source: ManifestSource,
  pathPrefix: string,
  into: ResourceSet,
  ignored: IgnoredDocument[],
): void {
  if (!isRecord(value)) throw new ManifestError({ ...source, path: pathPrefix || '.' }, 'must be an object');
  const at = (field: string) => ({ ...source, path: `${pathPrefix}${field}` });
  const apiVersion = value.apiVersion;
  const kind = value.kind;
  if (typeof apiVersion !== 'string' || apiVersion === '') throw new ManifestError(at('apiVersion'), 'is required');
  if (typeof kind !== 'string' || kind === '') throw new ManifestError(at('kind'), 'is required');
  if (kind.endsWith('List') && Array.isArray(value.items)) {
    value.items.forEach((item, i) => {
      addObject(item, source, `${pathPrefix}items[${i}].`, into, ignored);
    });
    return;
  }
  const metadata = value.metadata;
  if (!isRecord(metadata)) throw new ManifestError(at('metadata'), 'is required');
  if (typeof metadata.name !== 'string' || metadata.name === '') {
    throw new ManifestError(at('metadata.name'), 'is required');
  }
  if (metadata.namespace !== undefined && typeof metadata.namespace !== 'string') {
    throw new ManifestError(at('metadata.namespace'), 'must be a string');
  }
  const target = targetOf(apiVersion, kind);
  if (!target) {
    ignored.push({ ...source, apiVersion, kind, name: metadata.name });
    return;
  }
  // Items of a List share the document of the List.
  sources.set(value, source);
  // The compiler validates every field; here the object only needs the identifying fields checked above.
  switch (target) {
    case 'account':
      into.accounts.push(value as unknown as ProviderAccount);
      break;
    case 'model':
      into.models.push(value as unknown as Model);
      break;
    case 'secret':
      into.secrets.push(value as unknown as Secret);
      break;
    case 'usagePolicy':
      into.usagePolicies ??= [];
      into.usagePolicies.push(value as unknown as UsagePolicy);
      break;
    case 'modelRoute':
      into.modelRoutes ??= [];
      into.modelRoutes.push(value as unknown as ModelRoute);
      break;
  }
}

// `$${` (a literal `${`), or `${...}` up to the first `}`, or an unterminated `${`.
const SUBSTITUTION_RE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const VARIABLE_RE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/**
 * Compose-style `${NAME}` / `${NAME:-default}` in every string value (not in keys). An unset variable
 * without a default, or a malformed `${`, is an error naming the field, never the value (it may be a
 * Secret's).
 */
function expandEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  source: ManifestSource,
  path: string,
): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(SUBSTITUTION_RE, (match, inner: string | undefined) => {
      if (match === '$${') return '${';
      const parsed = inner === undefined ? null : VARIABLE_RE.exec(inner);
      if (!parsed) {
        throw new ManifestError(
          { ...source, path: path || '.' },
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows the manifest syntax.
          'has a malformed ${...}: write ${NAME} or ${NAME:-default} (NAME of letters, digits and _), or $${ for a literal ${',
        );
      }
      const name = parsed[1] as string;
      const fallback = parsed[2];
      const set = env[name];
      if (fallback !== undefined) return set === undefined || set === '' ? fallback : set;
      if (set === undefined) {
        throw new ManifestError(
          { ...source, path: path || '.' },
          `uses \${${name}}, but the environment variable ${name} is not set (\${${name}:-default} gives a default)`,
        );
      }
      return set;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => expandEnv(item, env, source, `${path}[${i}]`));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = expandEnv(item, env, source, path ? `${path}.${key}` : key);
    return out;
  }
  return value;
}

function targetOf(
  apiVersion: string,
  kind: string,
): 'account' | 'model' | 'secret' | 'usagePolicy' | 'modelRoute' | undefined {
  if (apiVersion === API_VERSION && kind === 'UsagePolicy') return 'usagePolicy';
  if (apiVersion === API_VERSION && kind === 'ModelRoute') return 'modelRoute';
  if (apiVersion === API_VERSION && kind === 'ProviderAccount') return 'account';
  if (apiVersion === API_VERSION && kind === 'Model') return 'model';
  if (apiVersion === 'v1' && kind === 'Secret') return 'secret';
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
