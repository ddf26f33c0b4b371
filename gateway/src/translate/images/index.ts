export {
  buildCanvasEditRequests,
  type CanvasEditOptions,
  type CanvasEditPlan,
  type CanvasImageResult,
  type CanvasModelKind,
  type EditMode,
  fromCanvasImageResponses,
  type ImagesTranslation,
  planCanvasEdit,
  toCanvasEditRequests,
  toCanvasImageRequests,
} from './canvas.js';
export {
  decodePng,
  type EditPixelJob,
  type EditPixelResult,
  type ImageFormat,
  type ImageInfo,
  readImageInfo,
  toBedrockMask,
} from './image-bytes.js';
export {
  CANVAS_LIMITS,
  EDIT_CAPABLE_MODELS,
  IMAGE_MODELS,
  type ImageModelKind,
  imageModelKind,
  MAX_IMAGES_PER_REQUEST,
} from './models.js';
export { parseImageEditRequest, parseImageGenerationRequest } from './parse-request.js';
export {
  CANVAS_INPUT_LIMITS,
  type ImageSize,
  type InputImageLimits,
  inputImageProblem,
  novaCanvasSize,
  stabilityAspectRatio,
  TITAN_IMAGE_SIZES,
  titanImageSize,
} from './sizes.js';
export { fromStabilityImageResponses, toStabilityImageRequests } from './stability.js';
