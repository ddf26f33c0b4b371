/**
 * The objects the operator publishes per namespace (kubernetes-design.md §6): a ConfigMap with
 * `config.json` (no secrets) and a Secret with `credentials.json`, both carrying the compile's shared
 * revision. The gateway mounts both in one projected volume and loads a pair only when the two
 * revisions agree, because kubelet may refresh the two sources in different syncs.
 */
import { createHash } from 'node:crypto';
import type { CompiledConfig, CompiledCredentials } from '../../gateway/src/config/index.js';
import type { OwnerReference } from './kube/index.js';

export const FIELD_MANAGER = 'aigateway-operator';
export const REVISION_ANNOTATION = 'aigateway.dev/config-revision';
/** Label on gateway pods (and outputs) naming the output set they consume. */
export const GATEWAY_LABEL = 'aigateway.dev/gateway';
/**
 * On the config ConfigMap: the api-key problems already reported as Events (sorted
 * {@link keyProblemId}s, comma-separated), so a restarted operator or a new leader reports only
 * what changed. Ids are hashes: they name no Secret content.
 */
export const KEY_PROBLEMS_ANNOTATION = 'aigateway.dev/reported-key-problems';

/** Stable id of one problem of one version of an api-key Secret. */
export function keyProblemId(secret: string, resourceVersion: string, path: string, message: string): string {
  return createHash('sha256')
    .update(JSON.stringify([secret, resourceVersion, path, message]))
    .digest('hex')
    .slice(0, 16);
}

/** The ids of {@link KEY_PROBLEMS_ANNOTATION}; anything malformed is ignored. */
export function parseKeyProblems(value: string | undefined): string[] {
  return (value ?? '').split(',').filter((id) => /^[0-9a-f]{16}$/.test(id));
}

export interface OutputNames {
  configMap: string;
  secret: string;
}

export function outputNames(outputName: string): OutputNames {
  return { configMap: `${outputName}-config`, secret: `${outputName}-credentials` };
}

function labels(outputName: string, revision: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'aigateway',
    'app.kubernetes.io/component': 'gateway-config',
    'app.kubernetes.io/managed-by': FIELD_MANAGER,
    [GATEWAY_LABEL]: outputName,
    'aigateway.dev/revision': revision,
  };
}

/** The ConfigMap and Secret to server-side apply for one compiled namespace. */
export function buildOutputs(options: {
  namespace: string;
  outputName: string;
  config: CompiledConfig;
  credentials: CompiledCredentials;
  owner?: OwnerReference;
  /** Ids of the api-key problems reported so far ({@link KEY_PROBLEMS_ANNOTATION}). */
  reportedKeyProblems?: readonly string[];
}): { configMap: Record<string, unknown>; secret: Record<string, unknown> } {
  const { namespace, outputName, config, credentials, owner } = options;
  const names = outputNames(outputName);
  const meta = (name: string, extra: Record<string, string> = {}) => ({
    name,
    namespace,
    labels: labels(outputName, config.revision),
    annotations: { [REVISION_ANNOTATION]: config.revision, ...extra },
    ...(owner ? { ownerReferences: [owner] } : {}),
  });
  const reported = options.reportedKeyProblems ?? [];
  return {
    configMap: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(
        names.configMap,
        reported.length > 0 ? { [KEY_PROBLEMS_ANNOTATION]: [...reported].sort().join(',') } : {},
      ),
      data: { 'config.json': `${JSON.stringify(config, null, 2)}\n` },
    },
    secret: {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: meta(names.secret),
      data: { 'credentials.json': Buffer.from(`${JSON.stringify(credentials, null, 2)}\n`).toString('base64') },
    },
  };
}
