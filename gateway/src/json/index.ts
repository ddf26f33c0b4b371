export { JSON_DEFAULTS, type JsonLimits } from './defaults.js';
export { jsonNestingExceeds, jsonTooDeepError, parseJsonWithinDepth, valueNestingExceeds } from './depth.js';
