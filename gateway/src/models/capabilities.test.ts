import { describe, expect, it } from 'vitest';
import type { CompiledModel } from '../config/index.js';
import { capabilitiesFor, getCapabilities } from './capabilities.js';
import { inferFamily } from './naming.js';

function compiled(modelId: string, family = inferFamily(modelId)): CompiledModel {
  return {
    servedName: `acct/${modelId}`,
    account: 'acct',
    name: modelId,
    modelId,
    region: 'us-east-1',
    type: 'chat',
    family,
  };
}

describe('capabilitiesFor', () => {
  it('gives current Claude models thinking, native structured output and 1-hour caching', () => {
    for (const id of [
      'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'anthropic.claude-haiku-4-5-20251001-v1:0',
      'arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-opus-4-5-20251101-v1:0',
    ]) {
      const caps = capabilitiesFor(id);
      expect(caps.family, id).toBe('anthropic');
      expect(caps.reasoning, id).toBe('anthropic-thinking');
      expect(caps.nativeStructuredOutput, id).toBe(true);
      expect(caps.promptCaching?.ttl1h, id).toBe(true);
      expect(caps.maxOutputTokens, id).toBe(64_000);
      expect(caps.exclusiveTemperatureTopP, id).toBe(true);
    }
  });

  it('keeps older Claude models to what they support', () => {
    const haiku3 = capabilitiesFor('anthropic.claude-3-haiku-20240307-v1:0');
    expect(haiku3.reasoning).toBe('none');
    expect(haiku3.promptCaching).toBeUndefined();
    expect(haiku3.maxOutputTokens).toBe(4096);
    expect(haiku3.images).toBe(true);

    const sonnet37 = capabilitiesFor('us.anthropic.claude-3-7-sonnet-20250219-v1:0');
    expect(sonnet37.reasoning).toBe('anthropic-thinking');
    expect(sonnet37.nativeStructuredOutput).toBe(false);
    expect(sonnet37.promptCaching?.ttl1h).toBe(false);

    expect(capabilitiesFor('anthropic.claude-3-5-haiku-20241022-v1:0').images).toBe(false);
    expect(capabilitiesFor('anthropic.claude-opus-4-1-20250805-v1:0').maxOutputTokens).toBe(32_000);
    expect(capabilitiesFor('anthropic.claude-v2:1').tools).toBe(false);
  });

  it('separates the Nova models by modality and reasoning', () => {
    expect(capabilitiesFor('amazon.nova-micro-v1:0').images).toBe(false);
    expect(capabilitiesFor('us.amazon.nova-pro-v1:0').images).toBe(true);
    expect(capabilitiesFor('us.amazon.nova-pro-v1:0').promptCaching?.tools).toBe(false);
    expect(capabilitiesFor('us.amazon.nova-2-lite-v1:0').reasoning).toBe('nova-reasoning-config');
    expect(capabilitiesFor('amazon.nova-lite-v1:0').topK).toBe('nova-inference-config');
  });

  it('marks models without system prompts or tools', () => {
    const titan = capabilitiesFor('amazon.titan-text-express-v1');
    expect(titan.systemPrompt).toBe(false);
    expect(titan.tools).toBe(false);
    expect(capabilitiesFor('mistral.mistral-7b-instruct-v0:2').systemPrompt).toBe(false);
    expect(capabilitiesFor('mistral.mixtral-8x7b-instruct-v0:1').tools).toBe(false);
    expect(capabilitiesFor('mistral.mistral-large-2407-v1:0').toolChoiceAny).toBe(true);
    expect(capabilitiesFor('cohere.command-text-v14').systemPrompt).toBe(false);
    expect(capabilitiesFor('cohere.command-r-plus-v1:0').tools).toBe(true);
    expect(capabilitiesFor('meta.llama3-70b-instruct-v1:0').tools).toBe(false);
    expect(capabilitiesFor('us.meta.llama3-3-70b-instruct-v1:0').tools).toBe(true);
    expect(capabilitiesFor('us.meta.llama3-3-70b-instruct-v1:0').toolChoiceAny).toBe(false);
    expect(capabilitiesFor('us.meta.llama3-2-90b-instruct-v1:0').images).toBe(true);
  });

  it('names the reasoning style of each reasoning family', () => {
    expect(capabilitiesFor('us.deepseek.r1-v1:0').reasoning).toBe('always-on');
    expect(capabilitiesFor('deepseek.v3-v1:0').reasoning).toBe('reasoning-config-string');
    expect(capabilitiesFor('openai.gpt-oss-120b-1:0').reasoning).toBe('reasoning-effort');
  });

  it('assumes the current generation behind an application inference profile of a known family', () => {
    const arn = 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abcdef123456';
    const caps = getCapabilities(compiled(arn, 'anthropic'));
    expect(caps.reasoning).toBe('anthropic-thinking');
    expect(caps.maxOutputTokens).toBe(64_000);
  });

  it('lets Bedrock judge models it cannot place', () => {
    const arn = 'arn:aws:bedrock:us-east-1:111122223333:imported-model/abcdef123456';
    const caps = getCapabilities(compiled(arn));
    expect(caps.family).toBe('unknown');
    expect(caps.tools && caps.images && caps.documents && caps.systemPrompt).toBe(true);
  });

  it('uses the family the config compiled, not only the id', () => {
    expect(getCapabilities(compiled('amazon.nova-pro-v1:0')).family).toBe('amazon-nova');
    expect(Object.isFrozen(getCapabilities(compiled('amazon.nova-pro-v1:0')))).toBe(true);
  });
});
