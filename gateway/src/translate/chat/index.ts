export { fromConverseResponse } from './from-converse.js';
export { sniffImageFormat } from './media.js';
export { parseChatCompletionRequest } from './parse-request.js';
export {
  type ConversePlan,
  isRemoteUrl,
  type RemoteMediaTarget,
  remoteMediaTargets,
  remoteMediaUrls,
  STRUCTURED_OUTPUT_TOOL_NAME,
  type StructuredOutputMode,
} from './plan.js';
export {
  type ChatResponseOptions,
  type FinishMapping,
  newChatCompletionId,
  type ResponsePlan,
  toCompletionUsage,
  toFinish,
} from './response-common.js';
export { ChatStreamTranslator, streamErrorPayload, type TextSplice } from './stream.js';
export { type ChatTranslationContext, toConverseRequest } from './to-converse.js';
