/**
 * Which upstream failures are a target's fault (and so fail over and count towards ejection), by the
 * `retryOn` classes of a ModelRoute. Everything else (the caller's request is wrong, the caller is over its
 * own UsagePolicy limit, the model refused) would fail the same way on any target.
 */
import type { RouteRetryOn } from '../config/index.js';
import { bedrockExceptionOf, GatewayError } from '../errors/index.js';
import { LimitExceededError } from '../limits/index.js';
import { transientNetworkCode } from '../upstream/index.js';

/**
 * The retryOn class of an error of a target call, or undefined when it is not the target's fault.
 * `started`: the error ended a stream after its first event. Such errors are never retryable (the caller
 * saw bytes), so a Bedrock server fault is recognised by its exception instead.
 */
export function failureClass(error: unknown, started = false): RouteRetryOn | undefined {
  if (!(error instanceof GatewayError) || error instanceof LimitExceededError) return undefined;
  switch (error.code) {
    case 'rate_limit_exceeded':
    case 'model_not_ready':
      return 'throttle';
    case 'upstream_timeout':
    case 'model_timeout':
      return 'timeout';
    case 'upstream_credentials_unavailable':
      return 'connect';
    case 'upstream_unavailable':
      return transientNetworkCode(error.cause) !== undefined ? 'connect' : '5xx';
    case 'upstream_error':
      if (started) {
        const exception = bedrockExceptionOf(error);
        if (exception === 'InternalServerException' || exception === 'ServiceUnavailableException') return '5xx';
        if (transientNetworkCode(error.cause) !== undefined) return 'connect';
      }
      // Retryable upstream errors are Bedrock 5xx answers; a model's own error (424) or an unreadable or
      // oversized response is not a target fault.
      return error.retryable ? '5xx' : undefined;
    default:
      return undefined;
  }
}
