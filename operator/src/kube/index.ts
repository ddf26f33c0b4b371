export type { KubeList, KubeObject, OwnerReference, RequestOptions, WatchEvent } from './client.js';
export { isKubeStatus, KubeApiError, KubeClient } from './client.js';
export type { ResourceRef } from './paths.js';
export { pathFor, RESOURCES, resourcePath } from './paths.js';
