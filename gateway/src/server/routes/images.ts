/**
 * `POST /v1/images/generations` (JSON) and `POST /v1/images/edits` (multipart) on InvokeModel for Nova
 * Canvas, Titan Image Generator v1/v2 and the Stability models. `n` is split into calls within each
 * model's per-call limit and fanned out; images withheld by Bedrock's moderation are reported in the
 * `x-aigateway-images-filtered` header of a partial answer, or as a 400 when none is left.
 * Mappings, extensions and defaults: docs/embeddings-and-images.md.
 */
import multipart from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServedModel } from '../../config/index.js';
import { echo, GatewayError, invalidValue } from '../../errors/index.js';
import { JSON_DEFAULTS, jsonTooDeepError, valueNestingExceeds } from '../../json/index.js';
import { type ActualUsage, type Admission, LimitExceededError } from '../../limits/index.js';
import { type ImageSpec, parseModelId } from '../../models/index.js';
import { AIGW_ATTR, GEN_AI } from '../../telemetry/index.js';
import {
  buildCanvasEditRequests,
  EDIT_CAPABLE_MODELS,
  type EditPixelResult,
  fromCanvasImageResponses,
  fromStabilityImageResponses,
  IMAGE_MODELS,
  type ImageModelKind,
  type ImagesTranslation,
  imageModelKind,
  parseImageEditRequest,
  parseImageGenerationRequest,
  planCanvasEdit,
  readImageInfo,
  toCanvasImageRequests,
  toStabilityImageRequests,
} from '../../translate/images/index.js';
import type { CanvasImageRequest, CanvasImageResponse, StabilityImageResponse } from '../../wire/bedrock/index.js';
import type { UploadedImage } from '../../wire/openai/index.js';
import { authenticateHook, rejectOtherMethods } from '../app.js';
import { routeForSurface } from '../auth.js';
import type { RequestState, ServerContext } from '../context.js';
import { checkMultipartBoundary, multipartParseError } from '../multipart.js';
import { recordCost } from '../usage.js';
import { callerAbortSignal, type FanOutTrace, invokeAll, readJsonBody } from './invoke-fan-out.js';
import type { RouteModule } from './types.js';

/** Multipart limits of `/v1/images/edits`. */
export const IMAGE_EDIT_LIMITS = {
  /** Up to 5 images (IMAGE_VARIATION takes 1–5) plus one mask. */
  files: 6,
  /** Per file; Bedrock's whole InvokeModel body is capped at 25 MB and images travel base64 (+33%). */
  fileSizeBytes: 10 * 1024 * 1024,
  fields: 30,
  fieldSizeBytes: 64 * 1024,
  /** Declared types accepted for files; the bytes are checked for PNG/JPEG signatures afterwards. */
  contentTypes: ['image/png', 'image/jpeg', 'image/jpg', 'application/octet-stream'] as readonly string[],
} as const;

export const imagesRoutes: RouteModule = {
  name: 'images',
  async register(app, ctx) {
    await app.register(multipart, {
      limits: {
        files: IMAGE_EDIT_LIMITS.files,
        fileSize: IMAGE_EDIT_LIMITS.fileSizeBytes,
        fields: IMAGE_EDIT_LIMITS.fields,
        fieldSize: IMAGE_EDIT_LIMITS.fieldSizeBytes,
        parts: IMAGE_EDIT_LIMITS.files + IMAGE_EDIT_LIMITS.fields,
      },
    });
    app.post(
      '/v1/images/generations',
      { onRequest: authenticateHook(ctx), config: { metricRoute: 'images' } },
      (request, reply) => generateImages(ctx, request, reply),
    );
    app.post(
      '/v1/images/edits',
      { onRequest: authenticateHook(ctx), config: { metricRoute: 'images' } },
      (request, reply) => editImages(ctx, request, reply),
    );
    rejectOtherMethods(app, '/v1/images/generations', ['POST']);
    rejectOtherMethods(app, '/v1/images/edits', ['POST']);
  },
};

function imageRoute(
  request: FastifyRequest,
  model: string,
  surface: 'generations' | 'edits',
): { route: ServedModel; kind: ImageModelKind } {
  const state = request.aigw;
  const route = routeForSurface(state, model, 'image', 'the Images API');
  const kind = imageModelKind(parseModelId(route.model.modelId)?.foundationModelId);
  if (kind === undefined)
    throw new GatewayError(
      'invalid_value',
      surface === 'edits'
        ? `The model '${model}' (${route.model.modelId}) cannot edit images. Models that can: ${EDIT_CAPABLE_MODELS}.`
        : `The model '${model}' (${route.model.modelId}) has no image translation in this gateway; supported: ${Object.keys(IMAGE_MODELS).join(', ')}.`,
      { param: 'model' },
    );
  return { route, kind };
}

async function generateImages(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  // The multipart parser registered for edits also accepts forms here; a form is the wrong media type for
  // generations (as on every other JSON route), not a JSON body that is "not an object".
  if (request.isMultipart())
    throw new GatewayError(
      'unsupported_media_type',
      "Unsupported Content-Type. Send the request body as JSON with 'Content-Type: application/json'.",
    );
  const parsed = parseImageGenerationRequest(request.body);
  const { route, kind } = imageRoute(request, parsed.model, 'generations');
  const bodies = kind === 'stability' ? toStabilityImageRequests(parsed) : toCanvasImageRequests(parsed, { kind });
  const admission = await admitImages(ctx, request, reply, route, parsed);
  if (kind === 'stability') {
    await run(ctx, request, reply, route, parsed.model, bodies, admission, (responses, created) =>
      fromStabilityImageResponses(responses as StabilityImageResponse[], { created }),
    );
    return;
  }
  await run(
    ctx,
    request,
    reply,
    route,
    parsed.model,
    bodies,
    admission,
    canvasReader(bodies as readonly CanvasImageRequest[]),
  );
}

async function editImages(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!request.isMultipart())
    throw new GatewayError(
      'unsupported_media_type',
      "The image edits endpoint takes 'multipart/form-data' with the image file(s), an optional mask and text fields.",
    );
  const { fields, files } = await readForm(request);
  const parsed = parseImageEditRequest(fields, files);
  const { route, kind } = imageRoute(request, parsed.model, 'edits');
  if (kind === 'stability')
    throw new GatewayError(
      'invalid_value',
      `The model '${parsed.model}' cannot edit images. Models that can: ${EDIT_CAPABLE_MODELS}.`,
      { param: 'model' },
    );
  // Everything the headers can refuse is refused here, before any pixel is decoded; the decode itself
  // (masks, transparency) runs in the image worker pool so it never blocks this event loop.
  const plan = planCanvasEdit(parsed, { kind, maxPixels: ctx.imageWork.options.maxPixels });
  // Limits are checked before the pixel work: a refused caller costs no decoding.
  const admission = await admitImages(ctx, request, reply, route, parsed);
  let pixels: EditPixelResult | undefined;
  if (plan.pixelJob) {
    const caller = callerAbortSignal(reply);
    try {
      pixels = await ctx.imageWork.run(plan.pixelJob, caller.signal);
    } catch (err) {
      admission?.settle(NO_USAGE);
      throw err;
    } finally {
      caller.release();
    }
  }
  const bodies = buildCanvasEditRequests(plan, pixels);
  await run(ctx, request, reply, route, parsed.model, bodies, admission, canvasReader(bodies));
}

function canvasReader(bodies: readonly CanvasImageRequest[]) {
  return (responses: unknown[], created: number): ImagesTranslation =>
    fromCanvasImageResponses(
      responses.map((body, i) => ({
        body: body as CanvasImageResponse,
        requested: bodies[i]?.imageGenerationConfig?.numberOfImages ?? 1,
      })),
      { created },
    );
}

async function run(
  ctx: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  route: ServedModel,
  servedModel: string,
  bodies: readonly unknown[],
  admission: Admission | undefined,
  translate: (responses: unknown[], created: number) => ImagesTranslation,
): Promise<void> {
  const state = request.aigw;
  const caller = callerAbortSignal(reply);
  state.span?.setAttributes({ [AIGW_ATTR.model]: servedModel, [AIGW_ATTR.account]: route.account.name });
  const tracing: FanOutTrace | undefined = state.span
    ? {
        parent: state.span,
        operation: 'generate_content',
        servedModel,
        attributes: { [GEN_AI.outputType]: 'image' },
      }
    : undefined;
  try {
    const { responses, upstreamMs } = await invokeAll(ctx, route, bodies, caller.signal, tracing, state);
    state.upstreamMs = upstreamMs;
    const { response, filtered } = translate(
      responses.map((r) => readJsonBody(r)),
      Math.floor(Date.now() / 1000),
    );
    const images = recordImageCost(ctx, state, route, bodies, response.data);
    admission?.settle({ inputTokens: 0, outputTokens: 0, images });
    reply.header('x-request-id', request.id);
    if (filtered > 0) reply.header('x-aigateway-images-filtered', String(filtered));
    await reply.type('application/json').send(JSON.stringify(response));
  } catch (err) {
    // A failed call produced no image; it still counts as a request (idempotent after a settlement above).
    admission?.settle(NO_USAGE);
    throw err;
  } finally {
    caller.release();
  }
}

const NO_USAGE: ActualUsage = { inputTokens: 0, outputTokens: 0 };

/**
 * UsagePolicy limits of an Images API request: it counts as one request, holds a concurrency lease, and
 * reserves the price of the images it asks for (n of the requested size and quality) against the budgets;
 * the settlement prices the images actually returned.
 */
async function admitImages(
  ctx: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  route: ServedModel,
  parsed: { n?: number; size?: string; quality?: 'standard' | 'premium' },
): Promise<Admission | undefined> {
  const state = request.aigw;
  const policies = ctx.limiter?.policiesFor(state.snapshot!, state.caller!, route);
  if (!ctx.limiter || !policies || policies.length === 0) return undefined;
  const [width, height] = /^(\d+)x(\d+)$/
    .exec(parsed.size ?? '')
    ?.slice(1)
    .map(Number) ?? [1024, 1024];
  const image: ImageSpec = { width: width ?? 1024, height: height ?? 1024, quality: parsed.quality ?? 'standard' };
  try {
    const admission = await ctx.limiter.admit(policies, state.caller!, route.model, {
      inputTokens: 0,
      outputTokens: 0,
      images: Array.from({ length: parsed.n ?? 1 }, () => image),
    });
    reply.headers(admission.headers);
    return admission;
  } catch (err) {
    if (err instanceof LimitExceededError) reply.headers(err.headers);
    throw err;
  }
}

/** Prices each returned image at its real size and quality (Bedrock charges per generated image). */
function recordImageCost(
  ctx: ServerContext,
  state: RequestState,
  route: ServedModel,
  bodies: readonly unknown[],
  data: ReadonlyArray<{ b64_json: string }>,
): ImageSpec[] {
  state.images = data.length;
  const first = bodies[0] as { imageGenerationConfig?: { quality?: 'standard' | 'premium' } } | undefined;
  const quality = first?.imageGenerationConfig?.quality ?? 'standard';
  const images: ImageSpec[] = data.map((d) => {
    // The PNG header says the size; only the first bytes are decoded.
    const info = readImageInfo(Buffer.from(d.b64_json.slice(0, 64), 'base64'));
    return { width: info?.width ?? 1024, height: info?.height ?? 1024, quality };
  });
  recordCost(ctx, state, route, { images });
  return images;
}

/** Reads the multipart form into fields and buffered files, turning limit violations into clear 400s. */
async function readForm(request: FastifyRequest): Promise<{ fields: Record<string, unknown>; files: UploadedImage[] }> {
  const fields: Record<string, unknown> = {};
  const files: UploadedImage[] = [];
  checkMultipartBoundary(request.headers['content-type']);
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const type = part.mimetype.toLowerCase();
        if (!IMAGE_EDIT_LIMITS.contentTypes.includes(type)) {
          part.file.resume();
          throw invalidValue(
            `'${echo(part.fieldname)}' has content type '${echo(part.mimetype)}'; upload PNG or JPEG images (image/png, image/jpeg).`,
            part.fieldname,
          );
        }
        const bytes = await part.toBuffer();
        files.push({ field: part.fieldname, filename: part.filename, contentType: type, bytes: new Uint8Array(bytes) });
      } else {
        if (part.valueTruncated)
          throw invalidValue(
            `Form field '${echo(part.fieldname)}' exceeds ${IMAGE_EDIT_LIMITS.fieldSizeBytes / 1024} KiB.`,
            part.fieldname,
          );
        // @fastify/multipart parses a part sent as application/json; the one nesting limit holds there too.
        if (typeof part.value === 'object' && valueNestingExceeds(part.value, JSON_DEFAULTS.maxNestingDepth))
          throw jsonTooDeepError(JSON_DEFAULTS.maxNestingDepth, part.fieldname);
        fields[part.fieldname] = part.value;
      }
    }
  } catch (err) {
    throw multipartError(err);
  }
  return { fields, files };
}

function multipartError(err: unknown): GatewayError {
  return multipartParseError(err, { ...IMAGE_EDIT_LIMITS, filesHint: 'up to 5 images and one mask' });
}
