import { describe, expect, it } from 'vitest';
import type { CompiledAccount } from '../config/index.js';
import { GatewayError } from '../errors/index.js';
import { BatchControlPlane, controlPlaneError } from './control-plane.js';

function account(name: string, region = 'us-east-1'): CompiledAccount {
  return {
    name,
    namespace: 'ns',
    region,
    controlPlaneEndpoint: 'http://127.0.0.1:1',
    auth: { type: 'accessKey' },
    collaborators: [],
  };
}
const keys = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

describe('BatchControlPlane', () => {
  it('builds one client per account, credentials and region, and reuses it', async () => {
    const cp = new BatchControlPlane({}, { controlPlaneTimeoutMs: 1000 });
    const a = account('a');
    // Asked twice at once before the SDK has loaded: still one client.
    const [first, second] = await Promise.all([cp.clientFor(a, keys, 'us-east-1'), cp.clientFor(a, keys, 'us-east-1')]);
    expect(first).toBe(second);
    expect(await cp.clientFor(a, keys, 'eu-west-1')).not.toBe(first);
    cp.close();
  });

  it('drops the clients of accounts that left the config on retain', async () => {
    const cp = new BatchControlPlane({}, { controlPlaneTimeoutMs: 1000 });
    const a = account('a');
    const b = account('b');
    const clientA = await cp.clientFor(a, keys, 'us-east-1');
    const clientB = await cp.clientFor(b, keys, 'us-east-1');
    cp.retain([{ account: a, credentials: keys }]);
    expect(await cp.clientFor(a, keys, 'us-east-1')).toBe(clientA);
    expect(await cp.clientFor(b, keys, 'us-east-1')).not.toBe(clientB);
    cp.close();
  });
});

describe('controlPlaneError', () => {
  it("maps Bedrock's exceptions to gateway errors without credential material", () => {
    const named = (name: string, message = 'x') => Object.assign(new Error(message), { name });
    expect(controlPlaneError(named('ResourceNotFoundException'), 'Reading').status).toBe(404);
    const validation = controlPlaneError(named('ValidationException', 'bad role AKIAIOSFODNN7EXAMPLE'), 'Creating');
    expect(validation.status).toBe(400);
    expect(validation.message).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(controlPlaneError(named('ServiceQuotaExceededException'), 'Creating').status).toBe(429);
    expect(controlPlaneError(named('ThrottlingException'), 'Creating').status).toBe(429);
    const denied = controlPlaneError(
      named('AccessDeniedException', 'User arn:aws:iam::1:user/x is not authorized'),
      'Creating',
    );
    expect(denied.status).toBe(403);
    expect(denied.message).not.toContain('arn:aws:iam');
    expect(controlPlaneError(new Error('socket hang up'), 'Listing')).toBeInstanceOf(GatewayError);
  });
});
