export { LazyChildLogger } from './lazy-child.js';
export { type CreateLoggerOptions, createLogger, redactingLoggerOptions } from './logger.js';
export { isSecretKey, REDACTED, redactSecrets, scrubSecretText } from './redact.js';
