/**
 * REST paths of Kubernetes resources. Known resources are resolved from a static table (the operator
 * never needs discovery for its own kinds); anything else (tests applying chart output) goes through
 * API discovery once per group/version and client.
 */
import type { KubeClient, KubeObject } from './client.js';

export interface ResourceRef {
  /** `''` for the core group. */
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export const RESOURCES = {
  provideraccounts: { group: 'aigateway.dev', version: 'v1alpha1', plural: 'provideraccounts', namespaced: true },
  models: { group: 'aigateway.dev', version: 'v1alpha1', plural: 'models', namespaced: true },
  usagepolicies: { group: 'aigateway.dev', version: 'v1alpha1', plural: 'usagepolicies', namespaced: true },
  modelroutes: { group: 'aigateway.dev', version: 'v1alpha1', plural: 'modelroutes', namespaced: true },
  secrets: { group: '', version: 'v1', plural: 'secrets', namespaced: true },
  configmaps: { group: '', version: 'v1', plural: 'configmaps', namespaced: true },
  pods: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  namespaces: { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  deployments: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true },
  events: { group: 'events.k8s.io', version: 'v1', plural: 'events', namespaced: true },
} as const satisfies Record<string, ResourceRef>;

/** `/api/v1/namespaces/NS/secrets/NAME` and friends; namespace/name omitted give collection paths. */
export function pathFor(ref: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  const base = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  const ns = ref.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const tail = name ? `/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}` : '';
  return `${base}${ns}/${ref.plural}${tail}`;
}

const discovery = new WeakMap<KubeClient, Map<string, Promise<Map<string, ResourceRef>>>>();

async function discover(client: KubeClient, apiVersion: string): Promise<Map<string, ResourceRef>> {
  let perClient = discovery.get(client);
  if (!perClient) {
    perClient = new Map();
    discovery.set(client, perClient);
  }
  let entry = perClient.get(apiVersion);
  if (!entry) {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    entry = client
      .request<{ resources: Array<{ name: string; kind: string; namespaced: boolean }> }>('GET', path)
      .then((res) => {
        const byKind = new Map<string, ResourceRef>();
        for (const r of res.resources) {
          if (r.name.includes('/')) continue; // subresources
          byKind.set(r.kind, { group: group ?? '', version: version ?? '', plural: r.name, namespaced: r.namespaced });
        }
        return byKind;
      });
    entry.catch(() => perClient?.delete(apiVersion));
    perClient.set(apiVersion, entry);
  }
  return entry;
}

/** The REST path of an object, from its apiVersion and kind (discovery for unknown kinds). */
export async function resourcePath(client: KubeClient, obj: KubeObject): Promise<string> {
  if (!obj.apiVersion || !obj.kind) throw new TypeError('object without apiVersion/kind');
  const ref = (await discover(client, obj.apiVersion)).get(obj.kind);
  if (!ref) throw new TypeError(`the API server does not serve ${obj.kind} in ${obj.apiVersion}`);
  return pathFor(ref, obj.metadata.namespace ?? (ref.namespaced ? 'default' : undefined), obj.metadata.name);
}
