export { isKubeStatus, KubeApiError, KubeClient } from './client.js';
export type { KubeList, KubeObject, OwnerReference, RequestOptions, WatchEvent } from './client.js';
export { pathFor, RESOURCES, resourcePath } from './paths.js';
export type { ResourceRef } from './paths.js';
