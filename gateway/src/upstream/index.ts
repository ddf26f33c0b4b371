/**
 * The Bedrock upstream client: auth schemes (SigV4 with access keys, assumed roles or the default
 * chain; bearer API keys), undici keep-alive pools, retries and deadlines, event-stream decoding.
 */

export {
  AccessKeyAuth,
  ApiKeyAuth,
  AssumeRoleAuth,
  type AwsCredentials,
  authCacheKey,
  CredentialError,
  createUpstreamAuth,
  DefaultChainAuth,
  RefreshingCredentials,
  type SignableRequest,
  SigV4Signer,
  type UpstreamAuth,
  UpstreamAuthCache,
} from './auth/index.js';
export {
  BedrockUpstream,
  type BedrockUpstreamOptions,
  type StreamTiming,
  type UpstreamAttemptEnd,
  type UpstreamAttemptHooks,
  type UpstreamAttemptObserver,
  type UpstreamAttemptStart,
  type UpstreamCall,
  UpstreamEventStream,
  type UpstreamOperation,
  type UpstreamResponse,
  type UpstreamTiming,
} from './bedrock-upstream.js';
export { resolveUpstreamOptions, UPSTREAM_DEFAULTS, type UpstreamOptions } from './defaults.js';
export { defaultRuntimeEndpoint, resolveRegion } from './endpoint.js';
export {
  decodeInvokeStreamChunk,
  EventStreamDecoder,
  TextDeltaEvent,
  type TextDeltaPayload,
  type UpstreamEvent,
} from './event-stream.js';
export {
  createEgressDispatcher,
  createSdkRequestHandler,
  describeProxySettings,
  type ProxyEnv,
  type ProxySettings,
  proxySettingsFromEnv,
  type SdkRequestHandler,
  sharedEgressDispatcher,
} from './proxy.js';
export { transientNetworkCode } from './retry.js';
