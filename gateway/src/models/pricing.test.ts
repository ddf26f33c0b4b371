import { describe, expect, it } from 'vitest';
import { batchPriceFor, costFor, imagePriceFor, priceFor, unpricedReason } from './pricing.js';

describe('priceFor', () => {
  it('prices a foundation model from the built-in table', () => {
    expect(priceFor({ modelId: 'amazon.titan-embed-text-v2:0' })).toEqual({
      inputPerMillionTokens: 0.02,
      source: 'builtin',
    });
  });

  it('prices global profiles of 4.5-generation Claude at the base rate and in-region/geographic calls 10% higher', () => {
    const us = priceFor({ modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0' });
    const global = priceFor({ modelId: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0' });
    const inRegion = priceFor({ modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0' });
    expect(global).toMatchObject({
      inputPerMillionTokens: 3,
      outputPerMillionTokens: 15,
      cacheReadPerMillionTokens: 0.3,
    });
    expect(us).toMatchObject({
      inputPerMillionTokens: 3.3,
      outputPerMillionTokens: 16.5,
      cacheWritePerMillionTokens: 4.125,
    });
    expect(inRegion).toEqual(us);
    // Older models have no regional premium.
    expect(priceFor({ modelId: 'us.anthropic.claude-3-7-sonnet-20250219-v1:0' })?.inputPerMillionTokens).toBe(3);
  });

  it('resolves foundation-model ARNs and leaves application profiles and unknown models unpriced', () => {
    expect(
      priceFor({ modelId: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0' })
        ?.outputPerMillionTokens,
    ).toBe(0.24);
    expect(
      priceFor({ modelId: 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abcdefghijkl' }),
    ).toBeUndefined();
    expect(priceFor({ modelId: 'acme.unknown-model-v1:0' })).toBeUndefined();
  });

  it("prefers the Model's pricing override, replacing the table entirely", () => {
    const p = priceFor({ modelId: 'amazon.nova-canvas-v1:0', pricing: { perImage: 0.05 } });
    expect(p).toEqual({ perImage: 0.05, source: 'model' });
    expect(imagePriceFor(p!, { width: 2048, height: 2048, quality: 'premium' })).toBe(0.05);
    expect(priceFor({ modelId: 'acme.private-v1', pricing: { inputPerMillionTokens: 1 } })?.inputPerMillionTokens).toBe(
      1,
    );
  });
});

describe('image prices', () => {
  const nova = priceFor({ modelId: 'amazon.nova-canvas-v1:0' })!;
  const titan = priceFor({ modelId: 'amazon.titan-image-generator-v2:0' })!;
  it.each([
    [nova, 1024, 1024, 'standard', 0.04],
    [nova, 1280, 720, 'standard', 0.04],
    [nova, 2048, 2048, 'standard', 0.06],
    [nova, 1024, 1024, 'premium', 0.06],
    [nova, 2048, 1024, 'premium', 0.08],
    [titan, 512, 512, 'standard', 0.008],
    [titan, 768, 1152, 'premium', 0.012],
  ] as const)('%#: %ix%i %s', (price, width, height, quality, usd) => {
    expect(imagePriceFor(price, { width, height, quality })).toBe(usd);
  });
  it('uses the flat price of Stability models', () => {
    expect(
      imagePriceFor(priceFor({ modelId: 'stability.stable-image-ultra-v1:1' })!, {
        width: 1,
        height: 1,
        quality: 'standard',
      }),
    ).toBe(0.14);
  });
});

describe('costFor', () => {
  it('adds every bucket and reports unpriced rather than 0', () => {
    const sonnet = priceFor({ modelId: 'anthropic.claude-3-7-sonnet-20250219-v1:0' });
    expect(
      costFor(sonnet, {
        inputTokens: 1_000_000,
        outputTokens: 100_000,
        cacheReadTokens: 1_000_000,
        cacheWriteTokens: 0,
      }),
    ).toBeCloseTo(3 + 1.5 + 0.3, 9);
    expect(costFor(undefined, { inputTokens: 10 })).toBeUndefined();
    // Titan embeddings have no output price; output tokens would be unpriced.
    expect(costFor(priceFor({ modelId: 'amazon.titan-embed-text-v2:0' }), { inputTokens: 500_000 })).toBeCloseTo(
      0.01,
      9,
    );
    expect(costFor(priceFor({ modelId: 'amazon.titan-embed-text-v2:0' }), { outputTokens: 5 })).toBeUndefined();
    const nova = priceFor({ modelId: 'amazon.nova-canvas-v1:0' });
    expect(
      costFor(nova, {
        images: [
          { width: 1024, height: 1024, quality: 'standard' },
          { width: 1024, height: 1024, quality: 'standard' },
        ],
      }),
    ).toBeCloseTo(0.08, 9);
  });
});

describe('unpricedReason', () => {
  it('names the first used kind without a price, and nothing for priced or unused kinds', () => {
    const inputOnly = { inputPerMillionTokens: 1, source: 'model' as const };
    expect(unpricedReason(inputOnly, { inputTokens: 10, outputTokens: 5 })).toBe('output');
    expect(costFor(inputOnly, { inputTokens: 10, outputTokens: 5 })).toBeUndefined();
    expect(unpricedReason(inputOnly, { inputTokens: 10, outputTokens: 0 })).toBeUndefined();
    expect(unpricedReason(inputOnly, { inputTokens: 10, cacheReadTokens: 3 })).toBe('cache_read');
    expect(unpricedReason(undefined, { inputTokens: 1 })).toBe('no_price');
    expect(unpricedReason(inputOnly, { images: [{ width: 512, height: 512, quality: 'standard' }] })).toBe('image');
  });
});

describe('batchPriceFor', () => {
  it('halves the built-in on-demand token prices, profile premium included', () => {
    const p = batchPriceFor({ modelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0' });
    expect(p?.inputPerMillionTokens).toBeCloseTo(0.55, 9);
    expect(p?.outputPerMillionTokens).toBeCloseTo(2.75, 9);
    expect(batchPriceFor({ modelId: 'amazon.titan-embed-text-v2:0' })?.inputPerMillionTokens).toBe(0.01);
  });

  it("takes a Model's own pricing as it is, and leaves unknown models unpriced", () => {
    expect(batchPriceFor({ modelId: 'x', pricing: { inputPerMillionTokens: 2 } })?.inputPerMillionTokens).toBe(2);
    expect(batchPriceFor({ modelId: 'acme.unknown-v1' })).toBeUndefined();
  });
});
