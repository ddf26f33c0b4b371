import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompiledModel } from '../../config/index.js';
import { isGatewayError } from '../../errors/index.js';
import { getCapabilities } from '../../models/index.js';
import type { ConverseRequest } from '../../wire/bedrock/index.js';
import { parseChatCompletionRequest } from './parse-request.js';
import type { ConversePlan } from './plan.js';
import { toConverseRequest } from './to-converse.js';

/**
 * One golden fixture per case: the OpenAI body as a client sends it, the model it is routed to,
 * and either the exact Converse body expected or the error (status, code, param) the caller gets.
 */
interface RequestFixture {
  name: string;
  description?: string;
  model: CompiledModel;
  /** http(s) URL → bytes (base64) as the media fetcher would have resolved them. */
  resolvedMedia?: Record<string, { base64: string; contentType: string }>;
  openai: unknown;
  bedrock?: ConverseRequest;
  error?: { status: number; code: string; param: string | null };
  /** Plan fields compared exactly when present. */
  plan?: Partial<Omit<ConversePlan, 'body'>>;
  /** Substrings each of which some warning must contain. */
  warningsContain?: string[];
}

const dir = join(import.meta.dirname, 'fixtures', 'request');
const fixtures = readdirSync(dir)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => {
    const fixture = JSON.parse(readFileSync(join(dir, file), 'utf8')) as RequestFixture;
    return { file, fixture };
  });

function translate(fixture: RequestFixture): ConversePlan {
  const request = parseChatCompletionRequest(fixture.openai);
  const resolvedMedia = new Map(
    Object.entries(fixture.resolvedMedia ?? {}).map(([url, m]) => [
      url,
      { bytes: new Uint8Array(Buffer.from(m.base64, 'base64')), contentType: m.contentType },
    ]),
  );
  return toConverseRequest(request, {
    model: fixture.model,
    capabilities: getCapabilities(fixture.model),
    resolvedMedia,
  });
}

describe('toConverseRequest golden fixtures', () => {
  it('has the fixtures, each named after its file and expecting one outcome', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(60);
    for (const { file, fixture } of fixtures) {
      expect(`${fixture.name}.json`).toBe(file);
      expect(fixture.bedrock === undefined).not.toBe(fixture.error === undefined);
    }
  });

  it.each(fixtures.map(({ fixture }) => [fixture.name, fixture] as const))('%s', (_name, fixture) => {
    if (fixture.error) {
      let thrown: unknown;
      try {
        translate(fixture);
      } catch (error) {
        thrown = error;
      }
      expect(isGatewayError(thrown), `expected a GatewayError, got ${String(thrown)}`).toBe(true);
      if (!isGatewayError(thrown)) return;
      expect({ status: thrown.status, code: thrown.code, param: thrown.param }).toEqual(fixture.error);
      expect(thrown.message.length).toBeGreaterThan(10);
      return;
    }
    const plan = translate(fixture);
    expect(plan.body).toStrictEqual(fixture.bedrock);
    for (const [key, value] of Object.entries(fixture.plan ?? {})) {
      expect(plan[key as keyof ConversePlan], `plan.${key}`).toStrictEqual(value);
    }
    for (const fragment of fixture.warningsContain ?? []) {
      expect(
        plan.warnings.some((w) => w.includes(fragment)),
        `a warning containing '${fragment}' in ${JSON.stringify(plan.warnings)}`,
      ).toBe(true);
    }
  });
});
