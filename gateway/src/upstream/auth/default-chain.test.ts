import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledAccount } from '../../config/index.js';
import { DefaultChainAuth } from './default-chain.js';
import type { SignableRequest } from './types.js';

// A loopback EKS Pod Identity agent (bedrock-wire §9.5): GET with the raw token as Authorization.
let server: Server;
let agentUrl: string;
const agentRequests: IncomingMessage['headers'][] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    agentRequests.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        AccessKeyId: 'ASIAPODIDENTITY',
        SecretAccessKey: 'pod-secret',
        Token: 'pod-token',
        Expiration: new Date(Date.now() + 3600_000).toISOString(),
      }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  agentUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/credentials`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const saved = { ...process.env };
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

const account: CompiledAccount = {
  name: 'chain',
  namespace: 'ai',
  region: 'us-west-2',
  auth: { type: 'default' },
  collaborators: [],
};
const options = { refreshBeforeMs: 300_000, jitterMs: 0, failureBackoffMs: 1_000 };

function request(): SignableRequest {
  return {
    method: 'POST',
    protocol: 'https:',
    hostname: 'bedrock-runtime.us-west-2.amazonaws.com',
    port: undefined,
    path: '/model/amazon.nova-lite-v1%3A0/converse',
    headers: { host: 'bedrock-runtime.us-west-2.amazonaws.com', 'content-type': 'application/json' },
    body: '{}',
    region: 'us-west-2',
  };
}

function clearAwsEnv(): void {
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
  // Keep the chain away from any real shared config on the machine.
  process.env.AWS_CONFIG_FILE = '/nonexistent/config';
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
}

describe('default credential chain', () => {
  it('signs with keys from the environment', async () => {
    clearAwsEnv();
    process.env.AWS_ACCESS_KEY_ID = 'AKIAENVEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'env-secret';
    const auth = new DefaultChainAuth(account, options);
    const req = request();
    await auth.authorize(req);
    expect(req.headers.authorization).toContain('Credential=AKIAENVEXAMPLE/');
    auth.close();
  });

  it('uses EKS Pod Identity (container credentials) and caches them', async () => {
    clearAwsEnv();
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = agentUrl;
    process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = 'pod-identity-token';
    const auth = new DefaultChainAuth(account, options);
    const first = request();
    const second = request();
    await auth.authorize(first);
    await auth.authorize(second);
    expect(first.headers.authorization).toContain('Credential=ASIAPODIDENTITY/');
    expect(second.headers['x-amz-security-token']).toBe('pod-token');
    expect(agentRequests).toHaveLength(1);
    expect(agentRequests[0]?.authorization).toBe('pod-identity-token');
    auth.close();
  });

  it('switches to bearer auth when AWS_BEARER_TOKEN_BEDROCK is set, as the SDKs do', async () => {
    const auth = new DefaultChainAuth(account, {
      ...options,
      env: { AWS_BEARER_TOKEN_BEDROCK: 'bedrock-api-key-abc' },
    });
    const req = request();
    await auth.authorize(req);
    expect(req.headers.authorization).toBe('Bearer bedrock-api-key-abc');
  });

  it('reports missing credentials as upstream_credentials_unavailable', async () => {
    clearAwsEnv();
    const auth = new DefaultChainAuth(account, options);
    await expect(auth.authorize(request())).rejects.toMatchObject({ code: 'upstream_credentials_unavailable' });
    auth.close();
  });
});
