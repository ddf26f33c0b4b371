import { describe, expect, it } from 'vitest';
import { lookupModel } from '../catalog.js';
import { EmulatorState } from '../state.js';
import { generatedRecordId, runRecord } from './records.js';

const state = new EmulatorState({ s3: { buckets: [] } });
const nova = lookupModel('amazon.nova-micro-v1:0');
const titan = lookupModel('amazon.titan-embed-text-v2:0');

function run(text: string, invocationType: 'Converse' | 'InvokeModel' = 'Converse', index = 0) {
  const model = invocationType === 'Converse' ? nova : titan;
  if (!model) throw new Error('catalog model missing');
  return runRecord({
    state,
    model,
    modelId: model.id,
    invocationType,
    text,
    index,
    where: { accountId: '111122223333', region: 'us-east-1' },
  });
}

describe('one batch record through the runtime logic', () => {
  it('answers a Converse record with the Converse response and counts its tokens', () => {
    const result = run(
      JSON.stringify({ recordId: 'A1', modelInput: { messages: [{ role: 'user', content: [{ text: 'hi there' }] }] } }),
    );
    expect(result.ok).toBe(true);
    expect(result.line).toMatchObject({
      recordId: 'A1',
      modelOutput: { output: { message: { content: [{ text: 'Echo: hi there' }] } }, stopReason: 'end_turn' },
    });
    expect(result.inputTokens).toBe(2);
    expect(result.outputTokens).toBeGreaterThan(0);
  });

  it('answers an InvokeModel record with the native body', () => {
    const result = run(
      JSON.stringify({ recordId: 'E1', modelInput: { inputText: 'abc', dimensions: 256 } }),
      'InvokeModel',
    );
    expect(result.ok).toBe(true);
    expect((result.line.modelOutput as { embedding: number[] }).embedding).toHaveLength(256);
  });

  it('turns what the online call refuses into an error record with its status and message', () => {
    const bad = run(
      JSON.stringify({ recordId: 'B1', modelInput: { inputText: 'abc', dimensions: 100 } }),
      'InvokeModel',
    );
    expect(bad.ok).toBe(false);
    expect(bad.line).toMatchObject({ recordId: 'B1', modelInput: { dimensions: 100 }, error: { errorCode: 400 } });
    const deep = `{"recordId":"D1","modelInput":${'['.repeat(2000)}${']'.repeat(2000)}}`;
    expect(run(deep).line).toEqual({
      recordId: generatedRecordId(0),
      error: { errorCode: 400, errorMessage: 'Malformed input request, please reformat your input and try again.' },
    });
    expect(run('[1,2]', 'Converse', 41).line.recordId).toBe('CALL0000042');
    expect(run(JSON.stringify({ recordId: '', modelInput: 'text' }), 'Converse', 2).line).toMatchObject({
      recordId: 'CALL0000003',
      modelInput: 'text',
      error: { errorCode: 400 },
    });
  });
});
