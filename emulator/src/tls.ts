/**
 * A throw-away certificate authority and server certificate for the emulator's optional TLS listener,
 * made at startup with node:crypto. Some clients send credentials only over HTTPS (boto3 sends a Bedrock
 * API key only to an `https://` endpoint), so testing API keys with them needs a TLS port they can trust:
 * they trust the printed CA certificate.
 *
 * Node can create keys and sign, but has no API that builds an X.509 certificate, so the DER encoding of
 * the two certificates is written here by hand (RFC 5280): a fixed, small subset — ECDSA P-256 with
 * SHA-256, one common name, and the extensions strict verifiers require (basic constraints, key usage,
 * key identifiers, subject alternative names, server-auth extended key usage). That keeps a test-only
 * feature of a shipped program free of a certificate library dependency; Node's own `X509Certificate`
 * parser and real TLS clients check the result in the tests.
 */

import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';

/** PEM texts of the generated CA and server certificate. */
export interface TlsMaterial {
  /** The CA certificate clients trust (`AWS_CA_BUNDLE`, `verify=`, `NODE_EXTRA_CA_CERTS`, ...). */
  readonly caCertificate: string;
  /** The server certificate (signed by the CA) and its private key, for the listener. */
  readonly certificate: string;
  readonly privateKey: string;
}

/** How long the generated certificates are valid. */
export const TLS_CERTIFICATE_VALIDITY_DAYS = 30;

// --- DER (X.690) writing: tag, definite length, contents ---

function der(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  const n = body.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

const sequence = (...items: Buffer[]): Buffer => der(0x30, ...items);
const set = (...items: Buffer[]): Buffer => der(0x31, ...items);
const octetString = (bytes: Buffer): Buffer => der(0x04, bytes);
const utf8String = (text: string): Buffer => der(0x0c, Buffer.from(text, 'utf8'));
const bitString = (bytes: Buffer, unusedBits = 0): Buffer => der(0x03, Buffer.from([unusedBits]), bytes);
const boolean = (value: boolean): Buffer => der(0x01, Buffer.from([value ? 0xff : 0x00]));
const explicit = (n: number, inner: Buffer): Buffer => der(0xa0 | n, inner);

/** A non-negative INTEGER from big-endian bytes (a leading zero keeps the sign bit clear). */
function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return der(0x02, (trimmed[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * (parts[0] as number) + (parts[1] as number)];
  for (const part of parts.slice(2)) {
    const groups: number[] = [];
    for (let v = part; ; v = Math.floor(v / 128)) {
      groups.unshift(v % 128);
      if (v < 128) break;
    }
    out.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return der(0x06, Buffer.from(out));
}

/** UTCTime (years 1950–2049) or GeneralizedTime, as RFC 5280 §4.1.2.5 requires. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const year = date.getUTCFullYear();
  return year < 2050 ? der(0x17, Buffer.from(`${iso.slice(2)}Z`)) : der(0x18, Buffer.from(`${iso}Z`));
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

function name(commonName: string): Buffer {
  return sequence(
    set(sequence(oid(OID.organization), utf8String('aigateway emulator'))),
    set(sequence(oid(OID.commonName), utf8String(commonName))),
  );
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
}

/** Subject alternative names: IP addresses as iPAddress [7], anything else as dNSName [2]. */
function altNames(hosts: readonly string[]): Buffer {
  return sequence(
    ...hosts.map((host) => {
      const family = isIP(host);
      if (family === 4) return der(0x87, Buffer.from(host.split('.').map(Number)));
      if (family === 6) return der(0x87, ipv6Bytes(host));
      return der(0x82, Buffer.from(host, 'ascii'));
    }),
  );
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail] = address.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return Buffer.from(all.flatMap((g) => [Number.parseInt(g, 16) >> 8, Number.parseInt(g, 16) & 0xff]));
}

interface CertificateSpec {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
}

function certificate(spec: CertificateSpec): Buffer {
  const algorithm = sequence(oid(OID.ecdsaWithSha256));
  // A positive 127-bit serial: random, unique per certificate (RFC 5280 §4.1.2.2).
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f;
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // version v3
    integer(serial),
    algorithm,
    name(spec.issuer),
    sequence(time(spec.notBefore), time(spec.notAfter)),
    name(spec.subject),
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...spec.extensions)),
  );
  // node:crypto signs ECDSA in DER (r, s) form, which is what X.509 carries.
  const signature = sign('sha256', tbs, spec.signingKey);
  return sequence(tbs, algorithm, bitString(signature));
}

function pem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * A fresh CA and a server certificate for `hosts` (DNS names or IP addresses; `localhost`, `127.0.0.1`
 * and `::1` are always included). `now` is the start of validity (one hour earlier, for clock skew).
 */
export function createTlsMaterial(hosts: readonly string[] = [], now: Date = new Date()): TlsMaterial {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  const notAfter = new Date(now.getTime() + TLS_CERTIFICATE_VALIDITY_DAYS * 24 * 60 * 60 * 1000);
  const caName = `aigateway emulator CA ${randomBytes(4).toString('hex')}`;
  const caKeyId = keyIdentifier(ca.publicKey);
  const caCert = certificate({
    subject: caName,
    issuer: caName,
    publicKey: ca.publicKey,
    signingKey: ca.privateKey,
    notBefore,
    notAfter,
    extensions: [
      extension(OID.basicConstraints, true, sequence(boolean(true), integer(Buffer.from([0])))),
      // keyCertSign (bit 5) and cRLSign (bit 6): 0b0000_0110, one unused bit.
      extension(OID.keyUsage, true, bitString(Buffer.from([0x06]), 1)),
      extension(OID.subjectKeyIdentifier, false, octetString(caKeyId)),
    ],
  });
  const names = [...new Set(['localhost', '127.0.0.1', '::1', ...hosts.filter((h) => h !== '' && h !== '0.0.0.0')])];
  const serverCert = certificate({
    subject: 'localhost',
    issuer: caName,
    publicKey: leaf.publicKey,
    signingKey: ca.privateKey,
    notBefore,
    notAfter,
    extensions: [
      extension(OID.basicConstraints, true, sequence()),
      // digitalSignature (bit 0): 0b1000_0000, seven unused bits.
      extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
      extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
      extension(OID.subjectAltName, false, altNames(names)),
      extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(leaf.publicKey))),
      extension(OID.authorityKeyIdentifier, false, sequence(der(0x80, caKeyId))),
    ],
  });
  return {
    caCertificate: pem('CERTIFICATE', caCert),
    certificate: pem('CERTIFICATE', serverCert),
    privateKey: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
