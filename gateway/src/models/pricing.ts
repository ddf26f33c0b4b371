/**
 * The built-in Bedrock price table (USD), used for the cost metric when a Model has no `pricing` of its own.
 *
 * Figures are Amazon Bedrock's published on-demand prices for US East (N. Virginia), as listed on the
 * Amazon Bedrock pricing page and AWS's model announcements, checked 2026-11-24. Other regions may differ by
 * a few percent; a Model's `pricing` overrides the table when exact figures matter. Unknown models are
 * "unpriced" (`undefined`), never $0, so dashboards do not silently under-report (a peer priced unknown
 * regions and application-profile ARNs at $0).
 *
 * Keys are foundation model ids. Inference profiles resolve to the foundation model behind them:
 * - Geographic profiles (`us.`, `eu.`, `apac.`, `jp.`, `au.`, ...) cost the same as in-region on-demand calls.
 * - For the models marked `regionalPremium` (Claude 4.5 generation and later), Bedrock charges in-region and
 *   geographic-profile calls 10% more than `global.` profile calls, so the table holds the global price and
 *   every other id gets 110% of it (a peer missed this and priced `us.` profiles at the global rate).
 * - Application inference profile ARNs name no foundation model, so they are unpriced unless the Model sets
 *   `pricing`.
 */
import type { CompiledModel, ModelPricing } from '../config/types.js';
import { parseModelId } from './naming.js';

/** One per-image price, applying to images of at most `maxPixels` at the given quality. */
export interface ImagePriceTier {
  readonly quality: 'standard' | 'premium';
  readonly maxPixels: number;
  readonly usd: number;
}

/** Prices of one model; token prices are per million tokens. */
export interface ModelPrice {
  readonly inputPerMillionTokens?: number;
  readonly outputPerMillionTokens?: number;
  readonly cacheReadPerMillionTokens?: number;
  readonly cacheWritePerMillionTokens?: number;
  /** A flat per-image price (Stability, or a Model override). */
  readonly perImage?: number;
  /** Size/quality-dependent per-image prices (Nova Canvas, Titan Image), smallest first. */
  readonly imageTiers?: readonly ImagePriceTier[];
  /** `model`: the Model resource's `pricing`; `builtin`: this table. */
  readonly source: 'model' | 'builtin';
}

interface BuiltinPrice {
  in?: number;
  out?: number;
  cacheRead?: number;
  cacheWrite?: number;
  perImage?: number;
  imageTiers?: readonly ImagePriceTier[];
  /** In-region and geographic profiles cost 10% more than `global.` (see the file comment). */
  regionalPremium?: boolean;
}

const PX_512 = 512 * 512;
const PX_1024 = 1024 * 1024;
const PX_2048 = 2048 * 2048;

const TITAN_IMAGE_TIERS: readonly ImagePriceTier[] = [
  { quality: 'standard', maxPixels: PX_512, usd: 0.008 },
  { quality: 'standard', maxPixels: PX_1024, usd: 0.01 },
  { quality: 'premium', maxPixels: PX_512, usd: 0.01 },
  { quality: 'premium', maxPixels: PX_1024, usd: 0.012 },
];

/** The table, keyed by foundation model id. */
export const BEDROCK_PRICES: Readonly<Record<string, BuiltinPrice>> = {
  // Anthropic (cache write = 5-minute TTL price).
  'anthropic.claude-3-haiku-20240307-v1:0': { in: 0.25, out: 1.25 },
  'anthropic.claude-3-5-haiku-20241022-v1:0': { in: 0.8, out: 4, cacheRead: 0.08, cacheWrite: 1 },
  'anthropic.claude-3-5-sonnet-20240620-v1:0': { in: 3, out: 15 },
  'anthropic.claude-3-5-sonnet-20241022-v2:0': { in: 3, out: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'anthropic.claude-3-7-sonnet-20250219-v1:0': { in: 3, out: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'anthropic.claude-sonnet-4-20250514-v1:0': { in: 3, out: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'anthropic.claude-opus-4-20250514-v1:0': { in: 15, out: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'anthropic.claude-opus-4-1-20250805-v1:0': { in: 15, out: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'anthropic.claude-sonnet-4-5-20250929-v1:0': {
    in: 3,
    out: 15,
    cacheRead: 0.3,
    cacheWrite: 3.75,
    regionalPremium: true,
  },
  'anthropic.claude-haiku-4-5-20251001-v1:0': {
    in: 1,
    out: 5,
    cacheRead: 0.1,
    cacheWrite: 1.25,
    regionalPremium: true,
  },
  'anthropic.claude-opus-4-5-20251101-v1:0': {
    in: 5,
    out: 25,
    cacheRead: 0.5,
    cacheWrite: 6.25,
    regionalPremium: true,
  },
  // Amazon Nova (text).
  'amazon.nova-micro-v1:0': { in: 0.035, out: 0.14, cacheRead: 0.00875 },
  'amazon.nova-lite-v1:0': { in: 0.06, out: 0.24, cacheRead: 0.015 },
  'amazon.nova-pro-v1:0': { in: 0.8, out: 3.2, cacheRead: 0.2 },
  'amazon.nova-premier-v1:0': { in: 2.5, out: 12.5, cacheRead: 0.625 },
  'amazon.titan-text-express-v1': { in: 0.2, out: 0.6 },
  'amazon.titan-text-lite-v1': { in: 0.15, out: 0.2 },
  // Meta, Mistral, DeepSeek, OpenAI open-weight, Cohere Command.
  'meta.llama3-1-8b-instruct-v1:0': { in: 0.22, out: 0.22 },
  'meta.llama3-1-70b-instruct-v1:0': { in: 0.72, out: 0.72 },
  'meta.llama3-3-70b-instruct-v1:0': { in: 0.72, out: 0.72 },
  'meta.llama4-scout-17b-instruct-v1:0': { in: 0.17, out: 0.66 },
  'meta.llama4-maverick-17b-instruct-v1:0': { in: 0.24, out: 0.97 },
  'mistral.mistral-7b-instruct-v0:2': { in: 0.15, out: 0.2 },
  'mistral.mixtral-8x7b-instruct-v0:1': { in: 0.45, out: 0.7 },
  'mistral.mistral-large-2402-v1:0': { in: 4, out: 12 },
  'deepseek.r1-v1:0': { in: 1.35, out: 5.4 },
  'openai.gpt-oss-120b-1:0': { in: 0.15, out: 0.6 },
  'openai.gpt-oss-20b-1:0': { in: 0.07, out: 0.3 },
  'cohere.command-r-v1:0': { in: 0.5, out: 1.5 },
  'cohere.command-r-plus-v1:0': { in: 3, out: 15 },
  // Embeddings: input tokens only.
  'amazon.titan-embed-text-v1': { in: 0.1 },
  'amazon.titan-embed-g1-text-02': { in: 0.1 },
  'amazon.titan-embed-text-v2:0': { in: 0.02 },
  'cohere.embed-english-v3': { in: 0.1 },
  'cohere.embed-multilingual-v3': { in: 0.1 },
  // Images: per image.
  'amazon.nova-canvas-v1:0': {
    imageTiers: [
      { quality: 'standard', maxPixels: PX_1024, usd: 0.04 },
      { quality: 'standard', maxPixels: PX_2048, usd: 0.06 },
      { quality: 'premium', maxPixels: PX_1024, usd: 0.06 },
      { quality: 'premium', maxPixels: PX_2048, usd: 0.08 },
    ],
  },
  'amazon.titan-image-generator-v1': { imageTiers: TITAN_IMAGE_TIERS },
  'amazon.titan-image-generator-v1:0': { imageTiers: TITAN_IMAGE_TIERS },
  'amazon.titan-image-generator-v2:0': { imageTiers: TITAN_IMAGE_TIERS },
  'stability.sd3-large-v1:0': { perImage: 0.08 },
  'stability.sd3-5-large-v1:0': { perImage: 0.08 },
  'stability.stable-image-core-v1:0': { perImage: 0.04 },
  'stability.stable-image-core-v1:1': { perImage: 0.04 },
  'stability.stable-image-ultra-v1:0': { perImage: 0.14 },
  'stability.stable-image-ultra-v1:1': { perImage: 0.14 },
};

/** The factor applied to non-`global.` ids of models marked `regionalPremium`. */
export const REGIONAL_PREMIUM_FACTOR = 1.1;

function fromOverride(p: ModelPricing): ModelPrice {
  const out: {
    -readonly [K in keyof ModelPrice]: ModelPrice[K];
  } = { source: 'model' };
  if (p.inputPerMillionTokens !== undefined) out.inputPerMillionTokens = p.inputPerMillionTokens;
  if (p.outputPerMillionTokens !== undefined) out.outputPerMillionTokens = p.outputPerMillionTokens;
  if (p.cacheReadPerMillionTokens !== undefined) out.cacheReadPerMillionTokens = p.cacheReadPerMillionTokens;
  if (p.cacheWritePerMillionTokens !== undefined) out.cacheWritePerMillionTokens = p.cacheWritePerMillionTokens;
  if (p.perImage !== undefined) out.perImage = p.perImage;
  return out;
}

// Rounds away binary noise from the premium multiplication (3 × 1.1 = 3.3000000000000003).
const round = (v: number | undefined, factor: number) =>
  v === undefined ? undefined : Math.round(v * factor * 1e9) / 1e9;

/**
 * The prices of a served model: the Model's own `pricing` when set (it replaces the table entirely, so
 * a partial override leaves the other kinds unpriced on purpose), else the built-in entry of its
 * foundation model with the inference-profile rule above; `undefined` when unknown.
 */
export function priceFor(model: Pick<CompiledModel, 'modelId' | 'pricing'>): ModelPrice | undefined {
  if (model.pricing && Object.keys(model.pricing).length > 0) return fromOverride(model.pricing);
  const parsed = parseModelId(model.modelId);
  const foundation = parsed?.foundationModelId;
  if (foundation === undefined) return undefined;
  const entry = BEDROCK_PRICES[foundation];
  if (!entry) return undefined;
  const factor = entry.regionalPremium && parsed?.profilePrefix !== 'global' ? REGIONAL_PREMIUM_FACTOR : 1;
  const out: { -readonly [K in keyof ModelPrice]: ModelPrice[K] } = { source: 'builtin' };
  const set = <K extends keyof ModelPrice>(key: K, value: ModelPrice[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set('inputPerMillionTokens', round(entry.in, factor));
  set('outputPerMillionTokens', round(entry.out, factor));
  set('cacheReadPerMillionTokens', round(entry.cacheRead, factor));
  set('cacheWritePerMillionTokens', round(entry.cacheWrite, factor));
  set('perImage', entry.perImage);
  set('imageTiers', entry.imageTiers);
  return out;
}

/** What one generated image was, for per-image pricing. */
export interface ImageSpec {
  width: number;
  height: number;
  quality: 'standard' | 'premium';
}

/**
 * The price of one image: the cheapest tier of the image's quality that covers its pixel count (the
 * largest tier when it exceeds them all), else the flat `perImage`; undefined when the model has neither.
 */
export function imagePriceFor(price: ModelPrice, image: ImageSpec): number | undefined {
  if (price.imageTiers && price.imageTiers.length > 0) {
    const tiers = price.imageTiers.filter((t) => t.quality === image.quality).sort((a, b) => a.maxPixels - b.maxPixels);
    const pixels = image.width * image.height;
    const tier = tiers.find((t) => pixels <= t.maxPixels) ?? tiers[tiers.length - 1];
    if (tier) return tier.usd;
  }
  return price.perImage;
}

/** Usage of one request in the units prices are quoted in. */
export interface BillableUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  images?: readonly ImageSpec[];
}

/**
 * Cost in USD = input·p_in + cacheRead·p_read + cacheWrite·p_write + output·p_out + Σ image prices.
 * Returns undefined ("unpriced") when some used quantity has no price, rather than under-counting it.
 */
export function costFor(price: ModelPrice | undefined, usage: BillableUsage): number | undefined {
  if (!price) return undefined;
  let total = 0;
  const add = (count: number | undefined, perMillion: number | undefined): boolean => {
    if (!count) return true;
    if (perMillion === undefined) return false;
    total += (count * perMillion) / 1_000_000;
    return true;
  };
  if (!add(usage.inputTokens, price.inputPerMillionTokens)) return undefined;
  if (!add(usage.outputTokens, price.outputPerMillionTokens)) return undefined;
  if (!add(usage.cacheReadTokens, price.cacheReadPerMillionTokens)) return undefined;
  if (!add(usage.cacheWriteTokens, price.cacheWritePerMillionTokens)) return undefined;
  for (const image of usage.images ?? []) {
    const p = imagePriceFor(price, image);
    if (p === undefined) return undefined;
    total += p;
  }
  return total;
}

/** Why {@link costFor} has no answer: no price at all, or the first used usage kind without one. */
export type UnpricedReason = 'no_price' | 'input' | 'output' | 'cache_read' | 'cache_write' | 'image';

/** The reason {@link costFor} returns undefined for this usage, or undefined when it is priced. */
export function unpricedReason(price: ModelPrice | undefined, usage: BillableUsage): UnpricedReason | undefined {
  if (!price) return 'no_price';
  if (usage.inputTokens && price.inputPerMillionTokens === undefined) return 'input';
  if (usage.outputTokens && price.outputPerMillionTokens === undefined) return 'output';
  if (usage.cacheReadTokens && price.cacheReadPerMillionTokens === undefined) return 'cache_read';
  if (usage.cacheWriteTokens && price.cacheWritePerMillionTokens === undefined) return 'cache_write';
  for (const image of usage.images ?? []) if (imagePriceFor(price, image) === undefined) return 'image';
  return undefined;
}

/**
 * Bedrock batch inference is billed at 50% of the on-demand token price for the models that offer it
 * (Amazon Bedrock pricing page, "Batch"; the same discount for Anthropic, Amazon, Meta, Mistral and the
 * embedding models in the table above).
 */
export const BATCH_PRICE_FACTOR = 0.5;

/**
 * The prices of a model's batch jobs: the Model's own `pricing` when set (the operator's figures are
 * taken as they are, for batch as for on-demand), else the built-in on-demand token prices times
 * {@link BATCH_PRICE_FACTOR}; undefined when the model is unpriced.
 */
export function batchPriceFor(model: Pick<CompiledModel, 'modelId' | 'pricing'>): ModelPrice | undefined {
  const price = priceFor(model);
  if (!price || price.source === 'model') return price;
  const out: { -readonly [K in keyof ModelPrice]: ModelPrice[K] } = { source: 'builtin' };
  const half = (v: number | undefined) =>
    v === undefined ? undefined : Math.round(v * BATCH_PRICE_FACTOR * 1e9) / 1e9;
  const set = <K extends keyof ModelPrice>(key: K, value: ModelPrice[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set('inputPerMillionTokens', half(price.inputPerMillionTokens));
  set('outputPerMillionTokens', half(price.outputPerMillionTokens));
  set('cacheReadPerMillionTokens', half(price.cacheReadPerMillionTokens));
  set('cacheWritePerMillionTokens', half(price.cacheWritePerMillionTokens));
  return out;
}
