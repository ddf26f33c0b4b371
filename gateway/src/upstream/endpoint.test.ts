import { describe, expect, it } from 'vitest';
import type { CompiledAccount } from '../config/index.js';
import { EndpointResolver, resolveRegion } from './endpoint.js';

const account = (endpoint?: string): CompiledAccount => ({
  name: 'a',
  namespace: 'ai',
  region: 'us-east-1',
  ...(endpoint ? { endpoint } : {}),
  auth: { type: 'accessKey' },
  collaborators: [],
});

describe('endpoint resolution', () => {
  it('goes to the regional runtime endpoint of the model region', () => {
    const resolved = new EndpointResolver().resolve(account(), 'eu-west-1');
    expect(resolved.origin).toBe('https://bedrock-runtime.eu-west-1.amazonaws.com');
    expect(resolved.host).toBe('bedrock-runtime.eu-west-1.amazonaws.com');
    expect(resolved.basePath).toBe('');
  });

  it('lets an ARN pin its own region over the configured one', () => {
    expect(
      resolveRegion('arn:aws:bedrock:ap-northeast-1:123456789012:inference-profile/apac.x.y-v1:0', 'us-east-1'),
    ).toBe('ap-northeast-1');
    expect(resolveRegion('us.anthropic.claude-3-5-sonnet-20241022-v2:0', 'us-west-2')).toBe('us-west-2');
  });

  it('applies the account override to every region, keeping port and path prefix', () => {
    const resolver = new EndpointResolver();
    const override = 'https://vpce-0abc.bedrock-runtime.us-east-1.vpce.amazonaws.com:8443/prefix/';
    for (const region of ['us-east-1', 'us-west-2']) {
      const resolved = resolver.resolve(account(override), region);
      expect(resolved.origin).toBe('https://vpce-0abc.bedrock-runtime.us-east-1.vpce.amazonaws.com:8443');
      expect(resolved.host).toBe('vpce-0abc.bedrock-runtime.us-east-1.vpce.amazonaws.com:8443');
      expect(resolved.port).toBe(8443);
      expect(resolved.basePath).toBe('/prefix');
    }
  });
});
