import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AccountCredentials, CompiledAccount } from '../../config/index.js';
import { BedrockUpstream } from '../index.js';

// One loopback server plays both STS (POST / with an awsQuery form) and Bedrock (POST /model/...).
const ROLE_ARN = 'arn:aws:iam::111122223333:role/BedrockAccess';
const EXTERNAL_ID = 'aigw-demo-external-id';

let server: Server;
let endpoint: string;
let stsCalls: URLSearchParams[] = [];
let bedrockCalls: IncomingMessage['headers'][] = [];
let sessionSeconds = 3600;
let stsDelayMs = 0;
let expireNextBedrockCall = false;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await readBody(req);
    if (req.url?.startsWith('/model/')) {
      bedrockCalls.push(req.headers);
      if (expireNextBedrockCall) {
        expireNextBedrockCall = false;
        res.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': 'ExpiredTokenException' });
        res.end('{"message":"The security token included in the request is expired"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'r' });
      res.end('{}');
      return;
    }
    const form = new URLSearchParams(body);
    stsCalls.push(form);
    if (stsDelayMs) await new Promise((r) => setTimeout(r, stsDelayMs));
    if (form.get('ExternalId') !== EXTERNAL_ID) {
      res.writeHead(403, { 'content-type': 'text/xml' });
      res.end(
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::111122223333:user/gw is not authorized to perform: sts:AssumeRole on resource: ${ROLE_ARN}</Message></Error><RequestId>x</RequestId></ErrorResponse>`,
      );
      return;
    }
    const n = stsCalls.length;
    const expiration = new Date(Date.now() + sessionSeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials><AccessKeyId>ASIATEMP${n}</AccessKeyId><SecretAccessKey>secret${n}</SecretAccessKey><SessionToken>token${n}</SessionToken><Expiration>${expiration}</Expiration></Credentials>
    <AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:${form.get('RoleSessionName')}</AssumedRoleId><Arn>arn:aws:sts::111122223333:assumed-role/BedrockAccess/${form.get('RoleSessionName')}</Arn></AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>req-${n}</RequestId></ResponseMetadata>
</AssumeRoleResponse>`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  stsCalls = [];
  bedrockCalls = [];
  sessionSeconds = 3600;
  stsDelayMs = 0;
  expireNextBedrockCall = false;
});

function account(externalId = EXTERNAL_ID): CompiledAccount {
  return {
    name: 'role-acct',
    namespace: 'ai',
    region: 'us-east-1',
    endpoint,
    stsEndpoint: endpoint,
    auth: {
      type: 'assumeRole',
      roleArn: ROLE_ARN,
      externalId,
      sessionName: 'aigateway',
      durationSeconds: 900,
      hasSourceCredentials: true,
    },
    collaborators: [],
  };
}
const source: AccountCredentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

const converse = (acct: CompiledAccount) => ({
  account: acct,
  credentials: source,
  region: 'us-east-1',
  modelId: 'amazon.nova-lite-v1:0',
  operation: 'converse' as const,
  body: '{"messages":[]}',
  signal: new AbortController().signal,
});

describe('assumed-role credentials', () => {
  it('makes exactly one STS call for 50 concurrent requests, with role, external id, session and duration', async () => {
    stsDelayMs = 50; // keep the first STS call in flight while all 50 requests arrive
    const upstream = new BedrockUpstream();
    try {
      const acct = account();
      const results = await Promise.all(Array.from({ length: 50 }, () => upstream.send(converse(acct))));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(stsCalls).toHaveLength(1);
      const [form] = stsCalls;
      expect(form?.get('Action')).toBe('AssumeRole');
      expect(form?.get('RoleArn')).toBe(ROLE_ARN);
      expect(form?.get('ExternalId')).toBe(EXTERNAL_ID);
      expect(form?.get('RoleSessionName')).toBe('aigateway');
      expect(form?.get('DurationSeconds')).toBe('900');
      expect(bedrockCalls).toHaveLength(50);
      for (const headers of bedrockCalls) {
        expect(headers.authorization).toContain('Credential=ASIATEMP1/');
        expect(headers['x-amz-security-token']).toBe('token1');
      }
      // Later requests, and a config reload with equal settings, reuse the cached credentials.
      await upstream.send(converse(account()));
      expect(stsCalls).toHaveLength(1);
    } finally {
      await upstream.close();
    }
  });

  it('refreshes in the background before expiry, not per request', async () => {
    sessionSeconds = 3; // STS says the session ends in 3 s
    const upstream = new BedrockUpstream({ credentialRefreshBeforeMs: 2_000, credentialRefreshJitterMs: 0 });
    try {
      const acct = account();
      await upstream.send(converse(acct));
      expect(stsCalls).toHaveLength(1);
      // About 1 s later (3 s − 2 s lead), well before the session ends, the refresher fetches new
      // credentials on its own. Polled rather than slept: a loaded CI machine delays timers.
      await vi.waitFor(() => expect(stsCalls).toHaveLength(2), { timeout: 2_500, interval: 50 });
      await upstream.send(converse(acct));
      expect(bedrockCalls.at(-1)?.authorization).toContain('Credential=ASIATEMP2/');
      expect(stsCalls).toHaveLength(2);
    } finally {
      await upstream.close();
    }
  });

  it('reports a wrong external id as 403 upstream_access_denied without calling Bedrock, and does not hammer STS', async () => {
    const upstream = new BedrockUpstream();
    try {
      const acct = account('wrong-external-id');
      const failures = await Promise.allSettled(Array.from({ length: 10 }, () => upstream.send(converse(acct))));
      for (const failure of failures) {
        expect(failure.status).toBe('rejected');
        expect((failure as PromiseRejectedResult).reason).toMatchObject({
          code: 'upstream_access_denied',
          status: 403,
        });
      }
      const reason = (failures[0] as PromiseRejectedResult).reason as Error & { detail: string };
      // The caller learns which account and AWS's code; the principal and role names stay in the log detail.
      expect(reason.message).toBe('Assuming the role of account role-acct was denied by AWS (AccessDenied).');
      expect(reason.message).not.toContain('arn:aws:iam');
      expect(reason.detail).toContain('not authorized to perform: sts:AssumeRole');
      expect(reason.detail).not.toContain(source.secretAccessKey!);
      expect(bedrockCalls).toHaveLength(0);
      // The failure is replayed for credentialFailureBackoffMs instead of one STS call per request.
      expect(stsCalls).toHaveLength(1);
    } finally {
      await upstream.close();
    }
  });

  it('fetches new credentials and retries once when Bedrock says the session token expired', async () => {
    const upstream = new BedrockUpstream();
    try {
      const acct = account();
      await upstream.send(converse(acct));
      expireNextBedrockCall = true;
      const result = await upstream.send(converse(acct));
      expect(result.status).toBe(200);
      expect(stsCalls).toHaveLength(2);
      expect(bedrockCalls.at(-1)?.authorization).toContain('Credential=ASIATEMP2/');
    } finally {
      await upstream.close();
    }
  });
});
