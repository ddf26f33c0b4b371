import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTlsMaterial, TLS_CERTIFICATE_VALIDITY_DAYS } from './tls.js';

describe('generated TLS material', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const material = createTlsMaterial(['emulator.test', '10.1.2.3'], now);
  const ca = new X509Certificate(material.caCertificate);
  const leaf = new X509Certificate(material.certificate);

  it('is a self-signed CA that signed the server certificate', () => {
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(leaf.publicKey)).toBe(false);
  });

  it('names loopback and the listen host in the subject alternative names', () => {
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkHost('emulator.test')).toBe('emulator.test');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.checkIP('::1')).toBe('::1');
    expect(leaf.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(leaf.checkHost('example.com')).toBeUndefined();
    expect(leaf.checkIP('127.0.0.2')).toBeUndefined();
  });

  it('is valid from an hour before creation for the documented number of days, for server auth', () => {
    expect(new Date(leaf.validFrom).toISOString()).toBe('2026-03-01T11:00:00.000Z');
    const days = (new Date(leaf.validTo).getTime() - now.getTime()) / 86_400_000;
    expect(days).toBe(TLS_CERTIFICATE_VALIDITY_DAYS);
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(material.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(leaf.checkPrivateKey(createPrivateKey(material.privateKey))).toBe(true);
    expect(ca.checkPrivateKey(createPrivateKey(material.privateKey))).toBe(false);
  });

  it('makes a new CA every time, so no two emulators share a trusted key', () => {
    const other = new X509Certificate(createTlsMaterial().caCertificate);
    expect(other.fingerprint256).not.toBe(ca.fingerprint256);
    expect(leaf.verify(other.publicKey)).toBe(false);
  });
});
