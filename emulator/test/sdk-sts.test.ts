import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { fromHttp } from '@aws-sdk/credential-providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../src/index.js';

const USER = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const ACCESS_ROLE = 'arn:aws:iam::111122223333:role/BedrockAccess';
const OPEN_ROLE = 'arn:aws:iam::111122223333:role/BedrockOpen';
const MODEL = 'us.anthropic.claude-3-haiku-20240307-v1:0';

let emu: RunningEmulator;
let sts: STSClient;

function jwt(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

function runtimeWith(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) {
  return new BedrockRuntimeClient({ endpoint: emu.url, region: 'us-east-1', credentials, maxAttempts: 1 });
}

async function stats(): Promise<{ sts: Record<string, number>; principals: Record<string, number> }> {
  return (await (await fetch(`${emu.url}/_emulator/stats`)).json()) as {
    sts: Record<string, number>;
    principals: Record<string, number>;
  };
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  sts = new STSClient({ endpoint: emu.url, region: 'us-east-1', credentials: USER, maxAttempts: 1 });
});

afterAll(async () => {
  sts.destroy();
  await emu.close();
});

describe('STS through the official SDK', () => {
  it('GetCallerIdentity names the IAM user', async () => {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    expect(out).toMatchObject({ Account: '111122223333', Arn: 'arn:aws:iam::111122223333:user/aigw-emulator-user' });
  });

  it('AssumeRole requires the role external id', async () => {
    await expect(
      sts.send(new AssumeRoleCommand({ RoleArn: ACCESS_ROLE, RoleSessionName: 'gw' })),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
      message: `User: arn:aws:iam::111122223333:user/aigw-emulator-user is not authorized to perform: sts:AssumeRole on resource: ${ACCESS_ROLE}`,
      $metadata: { httpStatusCode: 403 },
    });
    await expect(
      sts.send(new AssumeRoleCommand({ RoleArn: ACCESS_ROLE, RoleSessionName: 'gw', ExternalId: 'wrong-id' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('AssumeRole rejects a DurationSeconds outside 900..43200', async () => {
    await expect(
      sts.send(new AssumeRoleCommand({ RoleArn: OPEN_ROLE, RoleSessionName: 'gw', DurationSeconds: 600 })),
    ).rejects.toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
  });

  it('AssumeRole without RoleArn or RoleSessionName answers the unquoted null form', async () => {
    await expect(
      sts.send(new AssumeRoleCommand({ RoleSessionName: 'gw' } as unknown as AssumeRoleCommandInput)),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message:
        "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
    });
    await expect(
      sts.send(new AssumeRoleCommand({ RoleArn: OPEN_ROLE } as unknown as AssumeRoleCommandInput)),
    ).rejects.toMatchObject({
      message:
        "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null",
    });
  });

  it('issued credentials call Converse as the assumed role until they expire', async () => {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: ACCESS_ROLE,
        RoleSessionName: 'gw',
        ExternalId: 'aigw-demo-external-id',
        DurationSeconds: 900,
      }),
    );
    const c = out.Credentials;
    expect(c?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(out.AssumedRoleUser?.Arn).toBe('arn:aws:sts::111122223333:assumed-role/BedrockAccess/gw');
    expect((c?.Expiration?.getTime() ?? 0) - Date.now()).toBeGreaterThan(890_000);
    const creds = {
      accessKeyId: c?.AccessKeyId ?? '',
      secretAccessKey: c?.SecretAccessKey ?? '',
      sessionToken: c?.SessionToken ?? '',
    };
    const runtime = runtimeWith(creds);
    const reply = await runtime.send(
      new ConverseCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'as role' }] }] }),
    );
    expect(reply.output?.message?.content?.[0]?.text).toBe('Echo: as role');
    expect((await stats()).principals['arn:aws:sts::111122223333:assumed-role/BedrockAccess/gw']).toBe(1);

    // The same key without its session token is not a valid identity.
    const tokenless = runtimeWith({ accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey });
    await expect(
      tokenless.send(new ConverseCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'x' }] }] })),
    ).rejects.toMatchObject({ name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 403 } });
    tokenless.destroy();

    emu.state.clock.advance(901_000);
    try {
      await expect(
        runtime.send(
          new ConverseCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'late' }] }] }),
        ),
      ).rejects.toMatchObject({
        name: 'ExpiredTokenException',
        message: 'The security token included in the request is expired',
        $metadata: { httpStatusCode: 403 },
      });
    } finally {
      emu.state.clock.advance(-901_000);
      runtime.destroy();
    }
  });

  it('role chaining is capped at one hour', async () => {
    const first = await sts.send(new AssumeRoleCommand({ RoleArn: OPEN_ROLE, RoleSessionName: 'outer' }));
    const chained = new STSClient({
      endpoint: emu.url,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: {
        accessKeyId: first.Credentials?.AccessKeyId ?? '',
        secretAccessKey: first.Credentials?.SecretAccessKey ?? '',
        sessionToken: first.Credentials?.SessionToken ?? '',
      },
    });
    try {
      await expect(
        chained.send(new AssumeRoleCommand({ RoleArn: OPEN_ROLE, RoleSessionName: 'inner', DurationSeconds: 7200 })),
      ).rejects.toMatchObject({
        name: 'ValidationError',
        message: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
      });
      const ok = await chained.send(new AssumeRoleCommand({ RoleArn: OPEN_ROLE, RoleSessionName: 'inner' }));
      expect(ok.AssumedRoleUser?.Arn).toBe('arn:aws:sts::111122223333:assumed-role/BedrockOpen/inner');
      const who = await chained.send(new GetCallerIdentityCommand({}));
      expect(who.Arn).toBe('arn:aws:sts::111122223333:assumed-role/BedrockOpen/outer');
    } finally {
      chained.destroy();
    }
  });

  it('AssumeRoleWithWebIdentity accepts a live JWT for sts.amazonaws.com and rejects others', async () => {
    const anonymous = new STSClient({ endpoint: emu.url, region: 'us-east-1', maxAttempts: 1 });
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const out = await anonymous.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: OPEN_ROLE,
        RoleSessionName: 'irsa',
        WebIdentityToken: jwt({
          aud: 'sts.amazonaws.com',
          exp,
          sub: 'system:serviceaccount:ai:gateway',
          iss: 'https://oidc.eks.example',
        }),
      }),
    );
    expect(out.SubjectFromWebIdentityToken).toBe('system:serviceaccount:ai:gateway');
    expect(out.AssumedRoleUser?.Arn).toBe('arn:aws:sts::111122223333:assumed-role/BedrockOpen/irsa');
    // Wire code InvalidIdentityToken; the SDK names the modelled error InvalidIdentityTokenException.
    await expect(
      anonymous.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: OPEN_ROLE,
          RoleSessionName: 'irsa',
          WebIdentityToken: jwt({ aud: 'other', exp }),
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidIdentityTokenException' });
    await expect(
      anonymous.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: OPEN_ROLE,
          RoleSessionName: 'irsa',
          WebIdentityToken: jwt({ aud: 'sts.amazonaws.com', exp: exp - 7200 }),
        }),
      ),
    ).rejects.toMatchObject({ name: 'ExpiredTokenException' });
    await expect(
      anonymous.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: OPEN_ROLE,
          RoleSessionName: 'irsa',
          WebIdentityToken: 'not-a-jwt',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidIdentityTokenException' });
    anonymous.destroy();
  });

  it('the container-credentials endpoint serves the SDK HTTP provider (EKS Pod Identity)', async () => {
    const provider = fromHttp({
      awsContainerCredentialsFullUri: `${emu.url}/v1/credentials`,
      awsContainerAuthorizationToken: 'pod-identity-token',
    });
    const creds = await provider();
    expect(creds.accessKeyId).toMatch(/^ASIA/);
    const runtime = runtimeWith(creds);
    const reply = await runtime.send(
      new ConverseCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'pod' }] }] }),
    );
    expect(reply.output?.message?.content?.[0]?.text).toBe('Echo: pod');
    runtime.destroy();
    expect((await stats()).sts.ContainerCredentials).toBe(1);
  });

  it('faults that name an STS action fail that action only', async () => {
    await fetch(`${emu.url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify([
        { type: 'throttle', operation: 'AssumeRole', count: 1 },
        { type: 'throttle', count: 1, model: 'no-such-model' },
      ]),
    });
    await expect(sts.send(new AssumeRoleCommand({ RoleArn: OPEN_ROLE, RoleSessionName: 'gw' }))).rejects.toMatchObject({
      name: 'Throttling',
      message: 'Rate exceeded',
      $metadata: { httpStatusCode: 400 },
    });
    // The unfiltered runtime fault is not applied to STS.
    await expect(sts.send(new AssumeRoleCommand({ RoleArn: OPEN_ROLE, RoleSessionName: 'gw' }))).resolves.toBeDefined();
    await fetch(`${emu.url}/_emulator/faults`, { method: 'DELETE' });
  });

  it('counts STS calls so callers can prove credential caching', async () => {
    const before = (await stats()).sts.GetCallerIdentity ?? 0;
    await sts.send(new GetCallerIdentityCommand({}));
    expect((await stats()).sts.GetCallerIdentity).toBe(before + 1);
  });
});
