/**
 * Region routing: a Model's `region` overrides its account's, and the request is signed for it. The
 * emulator here accepts only us-west-2 signatures, so a model left in the account's us-east-1 fails and
 * the overridden one succeeds.
 */

import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';

const WEST = (url: string) => `apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: regions, namespace: default }
spec:
  provider: aws-bedrock
  region: us-east-1
  endpoint: ${url}
  auth: { type: accessKey, accessKey: { secretRef: { name: demo-aws-keys } } }
  collaborators: [{ subject: "team:demo", role: User }]
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova-west, namespace: default }
spec: { account: regions, modelId: amazon.nova-lite-v1:0, region: us-west-2 }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova-account-region, namespace: default }
spec: { account: regions, modelId: amazon.nova-lite-v1:0 }
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova-west-arn, namespace: default }
spec: { account: regions, modelId: "arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-lite-v1:0" }
`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ emulator: { region: 'us-west-2' } });
  await stack.config.write('regions.yaml', WEST(stack.emulator.url));
  await stack.gateway.store.reload();
});
afterAll(async () => {
  await stack?.close();
});

describe('per-model region', () => {
  it('signs for the Model region override and for the region an ARN names', async () => {
    for (const model of ['regions/nova-west', 'regions/nova-west-arn']) {
      const res = await stack
        .client()
        .chat.completions.create({ model, messages: [{ role: 'user', content: 'west' }] });
      expect(res.choices[0]?.message.content).toBe('Echo: west');
    }
  });

  it('uses the account region when the Model has none (rejected by a us-west-2-only Bedrock)', async () => {
    const err = await stack
      .client()
      .chat.completions.create({ model: 'regions/nova-account-region', messages: [{ role: 'user', content: 'east' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(403);
  });
});
