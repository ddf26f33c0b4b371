export { JSON_DEFAULTS, type JsonLimits } from './defaults.js';
export {
  jsonNestingExceeds,
  jsonTooDeepError,
  parseJsonWithinDepth,
  parseUpstreamJson,
  valueNestingExceeds,
} from './depth.js';
