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

/**
 * Loads every `*.yaml`, `*.yml` and `*.json` file directly inside `dir` (sorted by name; dot-files
 * skipped, which also skips the `..data` links kubelet creates). Multi-document YAML is allowed.
 * Kinds other than ProviderAccount, Model, UsagePolicy (aigateway.dev/v1alpha1) and Secret (v1) are returned in
 * `ignored`; `List` objects are flattened as kubectl does.
 *
 * @throws ManifestError naming file, document and field when a file cannot be parsed.
 */
export async function loadManifests(dir: string): Promise<LoadedManifests> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.') && MANIFEST_RE.test(e.name))
    .map((e) => e.name)
    .sort();
  const resources: ResourceSet = { accounts: [], models: [], secrets: [], usagePolicies: [] };
  const ignored: IgnoredDocument[] = [];
  for (const file of files) {
    const path = join(dir, file);
    const text = await readFile(path, 'utf8');
    parseManifestText(text, path, resources, ignored);
  }
  return { resources, ignored };
}

/** {@link loadManifests} without the list of ignored documents. */
export async function loadManifestDir(dir: string): Promise<ResourceSet> {
  return (await loadManifests(dir)).resources;
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
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return; // `---` with nothing after it
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
  }
}

function targetOf(apiVersion: string, kind: string): 'account' | 'model' | 'secret' | 'usagePolicy' | undefined {
  if (apiVersion === API_VERSION && kind === 'UsagePolicy') return 'usagePolicy';
  if (apiVersion === API_VERSION && kind === 'ProviderAccount') return 'account';
  if (apiVersion === API_VERSION && kind === 'Model') return 'model';
  if (apiVersion === 'v1' && kind === 'Secret') return 'secret';
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
