import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../errors/index.js';
import type { TitanEmbedResponse } from '../../wire/bedrock/index.js';
import {
  type CohereEmbedResult,
  decodeFloat32Base64,
  embeddingModelKind,
  encodeFloat32Base64,
  fromCohereEmbedResponses,
  fromTitanEmbedResponses,
  parseEmbeddingsRequest,
  toCohereEmbedRequests,
  toTitanEmbedRequests,
} from './index.js';

interface Fixture {
  name: string;
  modelId: string;
  openai: unknown;
  bedrock?: unknown[];
  bedrockResponses?: unknown[];
  response?: unknown;
  error?: { status: number; code: string; param?: string; message?: string };
}

const dir = join(import.meta.dirname, 'fixtures');
const fixtures: Fixture[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture);

/** The whole translation a route performs, minus I/O. */
function translate(f: Fixture): { bodies: unknown[]; response?: unknown } {
  const request = parseEmbeddingsRequest(f.openai);
  const kind = embeddingModelKind(f.modelId);
  if (kind === undefined) throw new Error(`fixture ${f.name}: unknown model ${f.modelId}`);
  if (kind === 'cohere-v3') {
    const bodies = toCohereEmbedRequests(request);
    const response = f.bedrockResponses
      ? fromCohereEmbedResponses(f.bedrockResponses as CohereEmbedResult[], {
          model: request.model,
          encodingFormat: request.encodingFormat,
        })
      : undefined;
    return { bodies, response };
  }
  const bodies = toTitanEmbedRequests(request, { kind });
  const response = f.bedrockResponses
    ? fromTitanEmbedResponses(f.bedrockResponses as TitanEmbedResponse[], {
        model: request.model,
        encodingFormat: request.encodingFormat,
      })
    : undefined;
  return { bodies, response };
}

describe('embeddings translation fixtures', () => {
  it('has fixtures', () => expect(fixtures.length).toBeGreaterThan(10));
  for (const f of fixtures) {
    it(f.name, () => {
      if (f.error) {
        let caught: unknown;
        try {
          translate(f);
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(GatewayError);
        const err = caught as GatewayError;
        expect(err.status).toBe(f.error.status);
        expect(err.code).toBe(f.error.code);
        if (f.error.param) expect(err.param).toBe(f.error.param);
        if (f.error.message) expect(err.message).toContain(f.error.message);
        return;
      }
      const { bodies, response } = translate(f);
      expect(bodies).toEqual(f.bedrock);
      if (f.response !== undefined) expect(response).toEqual(f.response);
    });
  }
});

describe('base64 encoding', () => {
  it('round-trips float32 values exactly as OpenAI SDKs decode them', () => {
    const v = [0.1, -2.5, 3.25e-8, 0];
    const decoded = new Float32Array(new Uint8Array(Buffer.from(encodeFloat32Base64(v), 'base64')).buffer);
    expect(Array.from(decoded)).toEqual(v.map((x) => Math.fround(x)));
    expect(decodeFloat32Base64(encodeFloat32Base64(v))).toEqual(v.map((x) => Math.fround(x)));
  });
});

describe('embeddingModelKind', () => {
  it('knows Titan and Cohere variants and nothing else', () => {
    expect(embeddingModelKind('amazon.titan-embed-text-v1:2:8k')).toBe('titan-v1');
    expect(embeddingModelKind('amazon.titan-embed-text-v2:0')).toBe('titan-v2');
    expect(embeddingModelKind('cohere.embed-multilingual-v3')).toBe('cohere-v3');
    expect(embeddingModelKind('amazon.nova-canvas-v1:0')).toBeUndefined();
  });
});
