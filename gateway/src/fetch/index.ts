export { type AddressRefusal, classifyAddress } from './address-policy.js';
export { MEDIA_FETCH_DEFAULTS, MEDIA_FETCH_ENV, type MediaFetchOptions, mediaFetchOptionsFromEnv } from './defaults.js';
export {
  type FetchedMedia,
  type HostResolver,
  MediaFetcher,
  type MediaFetcherInit,
  type MediaFetchTarget,
} from './media-fetcher.js';
