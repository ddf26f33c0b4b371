/**
 * STS on the emulator port (bedrock-wire.md §9.3–9.5): AssumeRole, AssumeRoleWithWebIdentity and
 * GetCallerIdentity over awsQuery (form POST or GET query, XML replies and XML errors), plus the EKS Pod
 * Identity container-credentials endpoint (`GET /v1/credentials`). Issued credentials are `ASIA` keys
 * with a session token that the runtime accepts until they expire.
 */

import { createHash, randomBytes } from 'node:crypto';
import { authenticateSigV4, type Principal } from './auth.js';
import { signableOf } from './call.js';
import { BedrockException } from './errors.js';
import { takeFault } from './faults.js';
import { type RequestContext, sendBytes, sendJson, sleep } from './reply.js';
import type { EmulatorState, TemporaryCredentials } from './state.js';
import { dropConnection } from './transport.js';

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const SESSION_NAME_RE = /^[\w+=,.@-]*$/;
const EXTERNAL_ID_RE = /^[\w+=,.@:/-]*$/;

/** An STS error: awsQuery `Code`, HTTP status, `Type` Sender/Receiver. */
export class StsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
}

function sendXml(ctx: RequestContext, status: number, xml: string): void {
  sendBytes(ctx, status, xml, { 'content-type': 'text/xml' });
}

function sendStsError(ctx: RequestContext, error: StsError): void {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  sendXml(
    ctx,
    error.status,
    `<ErrorResponse xmlns="${STS_NS}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${error.code}</Code>\n    <Message>${escapeXml(error.message)}</Message>\n  </Error>\n  <RequestId>${ctx.requestId}</RequestId>\n</ErrorResponse>\n`,
  );
}

function stsResponse(ctx: RequestContext, action: string, inner: string): void {
  sendXml(
    ctx,
    200,
    `<${action}Response xmlns="${STS_NS}">\n  <${action}Result>\n${inner}  </${action}Result>\n  <ResponseMetadata>\n    <RequestId>${ctx.requestId}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`,
  );
}

/** The front-door auth failure as STS names it. */
function toStsAuthError(error: unknown): StsError {
  if (!(error instanceof BedrockException)) return new StsError('InternalFailure', 'An internal error occurred.', 500);
  switch (error.name) {
    case 'UnrecognizedClientException':
      return new StsError('InvalidClientTokenId', error.message, 403);
    case 'ExpiredTokenException':
      return new StsError('ExpiredToken', error.message, 400);
    case 'MissingAuthenticationTokenException':
      return new StsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
    case 'IncompleteSignatureException':
      return new StsError('IncompleteSignature', error.message, 400);
    default:
      return new StsError('SignatureDoesNotMatch', error.message, 403);
  }
}

/** AWS's constraint message; a missing member (`null`) is written unquoted: `Value null at 'roleArn' ...`. */
function validationError(field: string, value: string | null, constraint: string): StsError {
  const shown = value === null ? 'null' : `'${value}'`;
  return new StsError(
    'ValidationError',
    `1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: ${constraint}`,
    400,
  );
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function randomChars(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[(bytes[i] ?? 0) % alphabet.length];
  return out;
}

function roleId(roleArn: string): string {
  return `AROA${createHash('sha256').update(roleArn).digest('hex').toUpperCase().slice(0, 17)}`;
}

/** Issues temporary credentials for `roleArn`/`sessionName` valid for `durationSeconds`. */
export function issueCredentials(
  state: EmulatorState,
  roleArn: string,
  sessionName: string,
  durationSeconds: number,
): TemporaryCredentials {
  const roleName = roleArn.split('/').pop() ?? 'role';
  const credentials: TemporaryCredentials = {
    accessKeyId: `ASIA${randomChars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(180).toString('base64')}`,
    expiration: state.clock.now() + durationSeconds * 1000,
    principalArn: `arn:aws:sts::${state.identity.accountId}:assumed-role/${roleName}/${sessionName}`,
    userId: `${roleId(roleArn)}:${sessionName}`,
  };
  state.temporaryCredentials.set(credentials.accessKeyId, credentials);
  return credentials;
}

function credentialsXml(c: TemporaryCredentials): string {
  return `    <Credentials>\n      <AccessKeyId>${c.accessKeyId}</AccessKeyId>\n      <SecretAccessKey>${escapeXml(c.secretAccessKey)}</SecretAccessKey>\n      <SessionToken>${escapeXml(c.sessionToken)}</SessionToken>\n      <Expiration>${isoSeconds(c.expiration)}</Expiration>\n    </Credentials>\n    <AssumedRoleUser>\n      <AssumedRoleId>${escapeXml(c.userId)}</AssumedRoleId>\n      <Arn>${escapeXml(c.principalArn)}</Arn>\n    </AssumedRoleUser>\n`;
}

function checkSessionAndDuration(
  state: EmulatorState,
  params: URLSearchParams,
): { roleArn: string; sessionName: string; duration: number } {
  const roleArn = params.get('RoleArn');
  if (roleArn === null) throw validationError('roleArn', null, 'Member must not be null');
  if (roleArn.length < 20 || roleArn.length > 2048) {
    throw validationError(
      'roleArn',
      roleArn,
      `Member must have length ${roleArn.length < 20 ? 'greater than or equal to 20' : 'less than or equal to 2048'}`,
    );
  }
  const sessionName = params.get('RoleSessionName');
  if (sessionName === null) throw validationError('roleSessionName', null, 'Member must not be null');
  if (sessionName.length < 2 || sessionName.length > 64) {
    throw validationError(
      'roleSessionName',
      sessionName,
      `Member must have length ${sessionName.length < 2 ? 'greater than or equal to 2' : 'less than or equal to 64'}`,
    );
  }
  if (!SESSION_NAME_RE.test(sessionName)) {
    throw validationError(
      'roleSessionName',
      sessionName,
      'Member must satisfy regular expression pattern: [\\w+=,.@-]*',
    );
  }
  const rawDuration = params.get('DurationSeconds');
  const duration = rawDuration === null ? 3600 : Number(rawDuration);
  if (!Number.isInteger(duration) || duration < 900) {
    throw validationError(
      'durationSeconds',
      String(rawDuration),
      'Member must have value greater than or equal to 900',
    );
  }
  if (duration > 43_200) {
    throw validationError('durationSeconds', String(rawDuration), 'Member must have value less than or equal to 43200');
  }
  const role = state.identity.roles.find((r) => r.arn === roleArn);
  if (role && duration > (role.maxSessionDuration ?? 3600)) {
    throw new StsError(
      'ValidationError',
      `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
      400,
    );
  }
  return { roleArn, sessionName, duration };
}

async function assumeRole(state: EmulatorState, ctx: RequestContext, params: URLSearchParams): Promise<void> {
  const caller = await authenticate(state, ctx);
  const { roleArn, sessionName, duration } = checkSessionAndDuration(state, params);
  // Role chaining (a role session assuming a role) is capped at one hour by IAM.
  if (caller.arn.includes(':assumed-role/') && duration > 3600) {
    throw new StsError(
      'ValidationError',
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
      400,
    );
  }
  const externalId = params.get('ExternalId');
  if (externalId !== null) {
    if (externalId.length < 2 || externalId.length > 1224) {
      throw validationError(
        'externalId',
        externalId,
        `Member must have length ${externalId.length < 2 ? 'greater than or equal to 2' : 'less than or equal to 1224'}`,
      );
    }
    if (!EXTERNAL_ID_RE.test(externalId)) {
      throw validationError(
        'externalId',
        externalId,
        'Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*',
      );
    }
  }
  const role = state.identity.roles.find((r) => r.arn === roleArn);
  // The trust policy's sts:ExternalId condition: missing or different → AccessDenied, like IAM.
  if (!role || (role.externalId !== undefined && role.externalId !== externalId)) {
    throw new StsError(
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      403,
    );
  }
  const credentials = issueCredentials(state, roleArn, sessionName, duration);
  stsResponse(ctx, 'AssumeRole', credentialsXml(credentials));
}

function decodeJwtPart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function assumeRoleWithWebIdentity(state: EmulatorState, ctx: RequestContext, params: URLSearchParams): void {
  const { roleArn, sessionName, duration } = checkSessionAndDuration(state, params);
  const token = params.get('WebIdentityToken');
  if (token === null) throw validationError('webIdentityToken', null, 'Member must not be null');
  if (token.length < 4 || token.length > 20_000) {
    throw validationError('webIdentityToken', '***', 'Member must have length greater than or equal to 4');
  }
  const parts = token.split('.');
  const header =
    parts.length === 3 && /^[A-Za-z0-9_-]+$/.test(parts[2] ?? '') ? decodeJwtPart(parts[0] ?? '') : undefined;
  const claims = header ? decodeJwtPart(parts[1] ?? '') : undefined;
  if (!claims) {
    throw new StsError(
      'InvalidIdentityToken',
      'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)',
      400,
    );
  }
  const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : Number.NaN;
  const now = state.clock.now();
  if (!(exp > now)) {
    throw new StsError(
      'ExpiredTokenException',
      // STS states both instants in epoch seconds (the JWT's own unit), e.g. `current date/time
      // 1731098245 must be before the expiration date/time 1731095240`.
      `Token expired: current date/time ${Math.floor(now / 1000)} must be before the expiration date/time ${Number.isNaN(exp) ? 'missing' : Math.floor(exp / 1000)}`,
      400,
    );
  }
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(state.identity.webIdentityAudience)) {
    throw new StsError('InvalidIdentityToken', 'Incorrect token audience', 400);
  }
  if (!state.identity.roles.some((r) => r.arn === roleArn)) {
    throw new StsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403);
  }
  const credentials = issueCredentials(state, roleArn, sessionName, duration);
  const subject = typeof claims.sub === 'string' ? claims.sub : '';
  const provider = typeof claims.iss === 'string' ? claims.iss.replace(/^https:\/\//, '') : '';
  stsResponse(
    ctx,
    'AssumeRoleWithWebIdentity',
    `${credentialsXml(credentials)}    <SubjectFromWebIdentityToken>${escapeXml(subject)}</SubjectFromWebIdentityToken>\n    <Audience>${escapeXml(state.identity.webIdentityAudience)}</Audience>\n    <Provider>${escapeXml(provider)}</Provider>\n`,
  );
}

async function authenticate(state: EmulatorState, ctx: RequestContext): Promise<Principal> {
  try {
    return await authenticateSigV4(state, signableOf(ctx), 'sts');
  } catch (error) {
    if (error instanceof BedrockException) state.count('authFailures', error.name);
    throw toStsAuthError(error);
  }
}

/**
 * Applies a fault that names this STS action (`{"type":"throttle","operation":"AssumeRole"}`); true when
 * the request was answered (or dropped) by the fault.
 */
async function applyStsFault(state: EmulatorState, ctx: RequestContext, action: string): Promise<boolean> {
  const fault = takeFault(state, action, []);
  if (!fault) return false;
  switch (fault.type) {
    case 'drop':
      dropConnection(ctx.req);
      return true;
    case 'latency':
      await sleep(fault.latencyMs ?? 0);
      return false;
    case 'throttle':
      throw new StsError('Throttling', fault.message ?? 'Rate exceeded', 400);
    case 'error':
      throw fault.status === 503
        ? new StsError('ServiceUnavailable', fault.message ?? 'Service is unavailable', 503)
        : new StsError('InternalFailure', fault.message ?? 'An internal error occurred.', 500);
    default:
      throw new StsError('InternalFailure', fault.message ?? 'An internal error occurred.', 500);
  }
}

/** Whether a request is an STS call: `POST /` with a form body, or `GET /?Action=...`. */
export function isStsRequest(ctx: RequestContext): boolean {
  return ctx.rawPath === '/' && (ctx.method === 'POST' || (ctx.method === 'GET' && 'Action' in ctx.query));
}

/** Handles an STS request. */
export async function handleSts(state: EmulatorState, ctx: RequestContext): Promise<void> {
  try {
    const params = ctx.method === 'POST' ? new URLSearchParams(ctx.body.toString('utf8')) : new URLSearchParams();
    for (const [k, v] of Object.entries(ctx.query))
      if (!params.has(k)) params.set(k, Array.isArray(v) ? (v[0] ?? '') : v);
    const action = params.get('Action') ?? '';
    const version = params.get('Version');
    if (
      version !== '2011-06-15' ||
      !['AssumeRole', 'AssumeRoleWithWebIdentity', 'GetCallerIdentity'].includes(action)
    ) {
      throw new StsError(
        'InvalidAction',
        `Could not find operation ${action} for version ${version ?? 'NO_VERSION_SPECIFIED'}`,
        400,
      );
    }
    state.count('sts', action);
    if (await applyStsFault(state, ctx, action)) return;
    if (action === 'AssumeRole') return await assumeRole(state, ctx, params);
    if (action === 'AssumeRoleWithWebIdentity') return assumeRoleWithWebIdentity(state, ctx, params);
    const caller = await authenticate(state, ctx);
    stsResponse(
      ctx,
      'GetCallerIdentity',
      `    <Arn>${escapeXml(caller.arn)}</Arn>\n    <UserId>${escapeXml(caller.userId)}</UserId>\n    <Account>${caller.accountId}</Account>\n`,
    );
  } catch (error) {
    sendStsError(ctx, error instanceof StsError ? error : toStsAuthError(error));
  }
}

/**
 * EKS Pod Identity / ECS container credentials (bedrock-wire.md §9.5): `GET /v1/credentials` with the raw
 * token in `Authorization`; any non-empty single-line token gets credentials of the configured role.
 */
export async function handleContainerCredentials(state: EmulatorState, ctx: RequestContext): Promise<void> {
  const token = ctx.headers.authorization ?? '';
  state.count('sts', 'ContainerCredentials');
  const fault = takeFault(state, 'ContainerCredentials', []);
  if (fault?.type === 'drop') {
    dropConnection(ctx.req);
    return;
  }
  if (fault?.type === 'latency') await sleep(fault.latencyMs ?? 0);
  else if (fault) {
    sendJson(ctx, fault.status === 503 ? 503 : 500, {
      message: fault.message ?? 'Credentials are temporarily unavailable.',
    });
    return;
  }
  if (token.trim() === '' || /[\r\n]/.test(token)) {
    sendJson(ctx, 401, { message: 'Authorization token is missing or invalid.' });
    return;
  }
  const credentials = issueCredentials(state, state.identity.containerCredentialsRole, 'eks-pod-identity', 3600);
  sendJson(ctx, 200, {
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    Token: credentials.sessionToken,
    Expiration: isoSeconds(credentials.expiration),
    AccountId: state.identity.accountId,
  });
}
