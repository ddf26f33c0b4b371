import { describe, expect, it } from 'vitest';
import { apiKeyCheckResult } from './credentials.js';

describe('apiKeyCheckResult', () => {
  it.each([
    [200, '{"modelSummaries":[]}', 'True', 'Verified'],
    // Bedrock's answers to a key it does not accept: the key is refused.
    [403, '{"Message":"Authentication failed: Please make sure your API Key is valid."}', 'False', 'AccessDenied'],
    [403, '{"Message":"Invalid API Key format: Must start with pre-defined prefix"}', 'False', 'AccessDenied'],
    [401, 'Unauthorized', 'False', 'AccessDenied'],
    // An accepted key whose identity may not list models: nothing is known about InvokeModel.
    [
      403,
      '{"message":"User: arn:aws:iam::111122223333:user/ci is not authorized to perform: bedrock:ListFoundationModels because no identity-based policy allows the bedrock:ListFoundationModels action"}',
      'False',
      'CheckFailed',
    ],
    [500, '{"message":"InternalServerException"}', 'False', 'CheckFailed'],
    [429, 'slow down', 'False', 'CheckFailed'],
  ])('%i %s → %s/%s', (status, body, conditionStatus, reason) => {
    const out = apiKeyCheckResult(status, body);
    expect(out.status).toBe(conditionStatus);
    expect(out.reason).toBe(reason);
    if (status !== 200) expect(out.message).toContain(`answered ${status}`);
  });

  it('says how to let the operator verify a key that may not list models', () => {
    const out = apiKeyCheckResult(
      403,
      '{"message":"User: x is not authorized to perform: bedrock:ListFoundationModels"}',
    );
    expect(out.message).toContain('allow bedrock:ListFoundationModels');
  });
});
