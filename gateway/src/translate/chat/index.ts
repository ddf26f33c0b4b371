export { parseChatCompletionRequest } from './parse-request.js';
export {
  type ConversePlan,
  isRemoteUrl,
  remoteMediaUrls,
  STRUCTURED_OUTPUT_TOOL_NAME,
  type StructuredOutputMode,
} from './plan.js';
export { type ChatTranslationContext, toConverseRequest } from './to-converse.js';
