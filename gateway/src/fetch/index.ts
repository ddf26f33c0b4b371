export { type AddressRefusal, classifyAddress } from './address-policy.js';
export { MEDIA_FETCH_DEFAULTS, type MediaFetchOptions } from './defaults.js';
export {
  type FetchedMedia,
  type HostResolver,
  MediaFetcher,
  type MediaFetcherInit,
  type MediaFetchTarget,
  sniffImageType,
} from './media-fetcher.js';
