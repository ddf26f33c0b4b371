import { describe, expect, it } from 'vitest';
import { EmulatorConfigError, parseEmulatorConfig } from './config.js';
import { EmulatorState } from './state.js';

describe('emulator config files', () => {
  it('adds identities, latency and region from YAML', () => {
    const options = parseEmulatorConfig(`
port: 0
region: eu-west-1
latency: { fixedMs: 5, interTokenDelayMs: 2 }
identity:
  users: [{ name: ci, accessKeyId: AKIACI0000000000000, secretAccessKey: s3cr3t }]
  apiKeys: [{ key: ABSKY2lrZXk, user: ci }]
  roles: [{ arn: "arn:aws:iam::111122223333:role/Batch", externalId: batch-ext }]
`);
    const state = new EmulatorState(options);
    expect(state.pinnedRegion).toBe('eu-west-1');
    expect(state.latency).toEqual({ fixedMs: 5, timeToFirstTokenMs: 0, interTokenDelayMs: 2 });
    // Built-ins stay; the file's entries are added.
    expect(state.identity.users.map((u) => u.name)).toEqual(['aigw-emulator-user', 'ci']);
    expect(state.identity.apiKeys.map((k) => k.key)).toContain('ABSKY2lrZXk');
    expect(state.identity.roles.find((r) => r.arn.endsWith('/Batch'))?.externalId).toBe('batch-ext');
  });

  it('accepts JSON and rejects malformed entries with the field named', () => {
    expect(parseEmulatorConfig('{"port": 4567}')).toEqual({ port: 4567 });
    expect(() => parseEmulatorConfig('identity: { users: [{ name: x }] }', 'emu.yaml')).toThrow(
      new EmulatorConfigError('emu.yaml.identity.users[0].accessKeyId must be a non-empty string'),
    );
    expect(() => parseEmulatorConfig('latency: { fixedMs: -1 }')).toThrow(/latency\.fixedMs must be a number >= 0/);
  });

  it('puts a user in another account when it names one', () => {
    const options = parseEmulatorConfig(
      'identity: { users: [{ name: other, accountId: "444455556666", accessKeyId: AKIAOTHER, secretAccessKey: s }] }',
    );
    expect(new EmulatorState(options).identity.users.find((u) => u.name === 'other')?.accountId).toBe('444455556666');
    expect(() =>
      parseEmulatorConfig('identity: { users: [{ name: o, accountId: "12", accessKeyId: A, secretAccessKey: s }] }'),
    ).toThrow(/users\[0\]\.accountId must be a 12-digit AWS account id/);
  });

  it('reads the TLS listener settings', () => {
    expect(parseEmulatorConfig('tlsPort: 0\ntlsCaFile: /tmp/ca.pem')).toEqual({ tlsPort: 0, tlsCaFile: '/tmp/ca.pem' });
    expect(() => parseEmulatorConfig('tlsPort: https')).toThrow(/tlsPort must be a number >= 0/);
  });
});
