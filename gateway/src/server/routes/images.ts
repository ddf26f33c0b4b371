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
import type { UpstreamCall } from '../../upstream/index.js';
import type { CanvasImageRequest, CanvasImageResponse, StabilityImageResponse } from '../../wire/bedrock/index.js';
import type { UploadedImage } from '../../wire/openai/index.js';
import { authenticateHook, rejectOtherMethods } from '../app.js';
import { routeForSurface } from '../auth.js';
import type { RequestState, ServerContext } from '../context.js';
import { type NamedRoute, namedRoute, ROUTE_NAME_PREFIX, runOnRoute, useTarget } from '../model-route.js';
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

/** The model (or route) a request names, authorised; `first` is the model or the route's first target. */
function imageRoute(request: FastifyRequest, model: string): { first: ServedModel; named: NamedRoute | undefined } {
  const state = request.aigw;
  // `route/<name>`: a ModelRoute; the first target stands in until the router chose one.
  const named = model.startsWith(ROUTE_NAME_PREFIX) ? namedRoute(state, model, 'image', 'the Images API') : undefined;
  const first = named
    ? useTarget(state, named.targets[0]!.served)
    : routeForSurface(state, model, 'image', 'the Images API');
  return { first, named };
}

/** The translation family of a model (a route's targets may differ); a 400 naming the model when it has none. */
function imageKindOf(target: ServedModel, model: string, surface: 'generations' | 'edits'): ImageModelKind {
  const kind = imageModelKind(parseModelId(target.model.modelId)?.foundationModelId);
  if (kind === undefined)
    throw new GatewayError(
      'invalid_value',
      surface === 'edits'
        ? `The model '${model}' (${target.model.modelId}) cannot edit images. Models that can: ${EDIT_CAPABLE_MODELS}.`
        : `The model '${model}' (${target.model.modelId}) has no image translation in this gateway; supported: ${Object.keys(IMAGE_MODELS).join(', ')}.`,
      { param: 'model' },
    );
  return kind;
}

/** The InvokeModel bodies of one target's family and how to read their answers. */
interface ImagePlan {
  bodies: readonly unknown[];
  translate: (responses: unknown[], created: number) => ImagesTranslation;
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
  const { first, named } = imageRoute(request, parsed.model);
  const planFor = async (target: ServedModel, _signal: AbortSignal, admit: () => Promise<void>): Promise<ImagePlan> => {
    const kind = imageKindOf(target, parsed.model, 'generations');
    let plan: ImagePlan;
    if (kind === 'stability') {
      plan = {
        bodies: toStabilityImageRequests(parsed),
        translate: (responses, created) =>
          fromStabilityImageResponses(responses as StabilityImageResponse[], { created }),
      };
    } else {
      const bodies = toCanvasImageRequests(parsed, { kind });
      plan = { bodies, translate: canvasReader(bodies) };
    }
    // Limits after the translation's 400s, before any call.
    await admit();
    return plan;
  };
  await run(ctx, request, reply, first, named, parsed, planFor);
}

async function editImages(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!request.isMultipart())
    throw new GatewayError(
      'unsupported_media_type',
      "The image edits endpoint takes 'multipart/form-data' with the image file(s), an optional mask and text fields.",
    );
  const { fields, files } = await readForm(request);
  const parsed = parseImageEditRequest(fields, files);
  const { first, named } = imageRoute(request, parsed.model);
  // One pixel job per model family (a route's targets usually share one).
  const plans = new Map<ImageModelKind, ImagePlan>();
  const planFor = async (target: ServedModel, signal: AbortSignal, admit: () => Promise<void>): Promise<ImagePlan> => {
    const kind = imageKindOf(target, parsed.model, 'edits');
    if (kind === 'stability')
      throw new GatewayError(
        'invalid_value',
        `The model '${parsed.model}' cannot edit images. Models that can: ${EDIT_CAPABLE_MODELS}.`,
        { param: 'model' },
      );
    const known = plans.get(kind);
    if (known) {
      await admit();
      return known;
    }
    // Everything the headers can refuse is refused here, before any pixel is decoded; the decode itself
    // (masks, transparency) runs in the image worker pool so it never blocks this event loop.
    const edit = planCanvasEdit(parsed, { kind, maxPixels: ctx.imageWork.options.maxPixels });
    // Limits are checked before the pixel work: a refused caller costs no decoding.
    await admit();
    const pixels: EditPixelResult | undefined = edit.pixelJob
      ? await ctx.imageWork.run(edit.pixelJob, signal)
      : undefined;
    const bodies = buildCanvasEditRequests(edit, pixels);
    const plan = { bodies, translate: canvasReader(bodies) };
    plans.set(kind, plan);
    return plan;
  };
  await run(ctx, request, reply, first, named, parsed, planFor);
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
  first: ServedModel,
  named: NamedRoute | undefined,
  parsed: ImageRequestShape,
  planFor: (target: ServedModel, signal: AbortSignal, admit: () => Promise<void>) => Promise<ImagePlan>,
): Promise<void> {
  const state = request.aigw;
  const servedModel = parsed.model;
  const caller = callerAbortSignal(reply);
  let route = first;
  state.span?.setAttributes({ [AIGW_ATTR.model]: servedModel, [AIGW_ATTR.account]: route.account.name });
  const tracing: FanOutTrace | undefined = state.span
    ? {
        parent: state.span,
        operation: 'generate_content',
        servedModel,
        attributes: { [GEN_AI.outputType]: 'image' },
      }
    : undefined;
  /** One target: its translation, its UsagePolicy admission (inside the plan, at the right moment), the calls. */
  const attempt = async (target: ServedModel, limits?: UpstreamCall['limits']) => {
    let admission: Admission | undefined;
    try {
      const plan = await planFor(target, caller.signal, async () => {
        admission = await admitImages(ctx, request, reply, target, parsed, named === undefined);
      });
      const fanOut = await invokeAll(ctx, target, plan.bodies, caller.signal, tracing, state, limits);
      return { plan, admission, ...fanOut };
    } catch (err) {
      // A failed call produced no image; it still counts as a request.
      admission?.settle(NO_USAGE);
      throw err;
    }
  };
  let admission: Admission | undefined;
  try {
    let result: Awaited<ReturnType<typeof attempt>>;
    if (!named) result = await attempt(route);
    else {
      ({ result } = await runOnRoute(ctx, state, reply, named, { stream: false, signal: caller.signal }, attempt));
      route = state.modelRoute!;
    }
    const { plan, responses, upstreamMs } = result;
    admission = result.admission;
    state.upstreamMs = upstreamMs;
    const { response, filtered } = plan.translate(
      responses.map((r) => readJsonBody(r)),
      Math.floor(Date.now() / 1000),
    );
    const images = recordImageCost(ctx, state, route, plan.bodies, response.data);
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

/** What the limits and spans need of a generations or edits request. */
interface ImageRequestShape {
  model: string;
  n?: number;
  size?: string;
  quality?: 'standard' | 'premium';
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
  parsed: ImageRequestShape,
  /** Set a refusal's headers here (a route sets them only when no target admits the request). */
  refusalHeaders: boolean,
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
    if (err instanceof LimitExceededError && refusalHeaders) reply.headers(err.headers);
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
