import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { isSecretKey, REDACTED, redactSecrets, scrubSecretText } from './redact.js';

const CALLER = 'sk-caller-0123456789abcdef';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SESSION = 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN';

describe('isSecretKey', () => {
  it.each([
    'authorization',
    'Authorization',
    'proxy-authorization',
    'x-amz-security-token',
    'x-api-key',
    'apiKey',
    'api_key',
    'cookie',
    'set-cookie',
    'secretAccessKey',
    'AWS_SECRET_ACCESS_KEY',
    'sessionToken',
    'token',
    'password',
    'clientSecret',
    'credentials',
  ])('%s is a secret', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each(['inputTokens', 'maxTokens', 'model', 'accessKeyId', 'requestId', 'subject', 'secretName', 'secretRef'])(
    '%s is not',
    (key) => {
      expect(isSecretKey(key)).toBe(false);
    },
  );
});

describe('scrubSecretText', () => {
  it.each([
    [`Authorization: Bearer ${CALLER}`, CALLER],
    [`failed with secretAccessKey=${AWS_SECRET} in env`, AWS_SECRET],
    [`{"sessionToken":"${SESSION}"}`, SESSION],
    [`<SecretAccessKey>${AWS_SECRET}</SecretAccessKey>`, AWS_SECRET],
    [`/v1/models?api_key=${CALLER}&x=1`, CALLER],
    [`key was ${CALLER}`, CALLER],
    ['password=hunter2hunter', 'hunter2hunter'],
    ['x-api-key: abcdefghijklmnopqrstuvwxyz', 'abcdefghijklmnopqrstuvwxyz'],
  ])('scrubs %s', (text, secret) => {
    const out = scrubSecretText(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it('leaves ordinary text alone', () => {
    for (const text of [
      'token review: the API server answered 403; 12 tokens used',
      'config rejected: keys.yaml#2 data.apiKey: must be a base64 string',
      'same token is already used by another api-key Secret',
      'spec.auth.accessKey.secretRef: references Secret aws-keys, which does not exist',
    ])
      expect(scrubSecretText(text)).toBe(text);
  });
});

describe('redactSecrets', () => {
  it('censors secret keys at any depth without touching the input', () => {
    const headers = { authorization: `Bearer ${CALLER}`, 'content-type': 'multipart/form-data; boundary=x' };
    const input = { busboyOptions: { headers, limits: { files: 6 } }, list: [{ password: 'p4ss' }] };
    const out = redactSecrets(input) as typeof input;
    expect(out.busboyOptions.headers.authorization).toBe(REDACTED);
    expect(out.busboyOptions.headers['content-type']).toBe('multipart/form-data; boundary=x');
    expect(out.busboyOptions.limits.files).toBe(6);
    expect(out.list[0]?.password).toBe(REDACTED);
    expect(headers.authorization).toBe(`Bearer ${CALLER}`);
  });

  it('keeps booleans and numbers under secret-looking keys (they cannot be credentials)', () => {
    expect(redactSecrets({ credentialsReady: true, token: 3 })).toEqual({ credentialsReady: true, token: 3 });
  });

  it('turns errors into data and scrubs their fields and causes', () => {
    const cause = Object.assign(new Error(`refused ${CALLER}`), { secretAccessKey: AWS_SECRET });
    const err = Object.assign(new Error('outer', { cause }), { config: { headers: { 'x-api-key': CALLER } } });
    const text = JSON.stringify(redactSecrets({ err }));
    expect(text).not.toContain(CALLER);
    expect(text).not.toContain(AWS_SECRET);
    expect(text).toContain('outer');
  });

  it('survives cycles, deep objects and streams', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    let deep: unknown = { token: CALLER };
    for (let i = 0; i < 100; i++) deep = { deep };
    const out = JSON.stringify(redactSecrets({ a, deep, stream: new Writable() }));
    expect(out).toContain('[Circular]');
    expect(out).not.toContain(CALLER);
    expect(out).toContain('[Writable]');
  });
});

describe('createLogger', () => {
  it('censors credential headers wherever a logged object holds them, and in child bindings', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination });
    const headers = {
      authorization: `Bearer ${CALLER}`,
      'Proxy-Authorization': `Basic ${CALLER}`,
      cookie: `session=${SESSION}`,
      'set-cookie': [`session=${SESSION}; HttpOnly`],
      'x-api-key': CALLER,
      'X-Amz-Security-Token': SESSION,
      'content-type': 'application/json',
    };
    logger.info({ headers }, 'top level');
    logger.info({ upstream: { request: { headers } } }, 'nested');
    logger.info({ req: { method: 'POST', url: '/v1/chat/completions', headers } }, 'request-shaped');
    logger.child({ headers }).info('child bindings');
    const output = lines.join('');
    expect(lines.length).toBe(4);
    expect(output).not.toContain(CALLER);
    expect(output).not.toContain(SESSION);
    // What is not a credential stays readable.
    for (const line of lines.slice(0, 2)) expect(line).toContain('application/json');
    expect(output).toContain('/v1/chat/completions');
  });

  it.each(['trace', 'debug', 'info', 'warn', 'error'] as const)('writes no secret at %s', (level) => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level, destination });
    const log = logger[level].bind(logger);
    log({ busboyOptions: { headers: { authorization: `Bearer ${CALLER}` } } }, 'Providing options to busboy');
    log({ upstream: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: AWS_SECRET, sessionToken: SESSION } }, 'x');
    log({ err: Object.assign(new Error(`bad key ${CALLER}`), { headers: { cookie: 'session=abc' } }) }, 'failed');
    log(`the key Bearer ${CALLER} was refused`);
    logger.child({ token: CALLER })[level]({}, 'child bindings');
    const output = lines.join('');
    expect(lines.length).toBe(5);
    expect(output).not.toContain(CALLER);
    expect(output).not.toContain(AWS_SECRET);
    expect(output).not.toContain(SESSION);
    expect(output).not.toContain('session=abc');
    expect(output).toContain('AKIAEXAMPLE');
  });
});
