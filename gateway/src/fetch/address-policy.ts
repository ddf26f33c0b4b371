/**
 * Which IP addresses the media fetcher may connect to. A caller-supplied image URL must never become a
 * way into the cluster network or the cloud metadata service (169.254.169.254, fd00:ec2::254), so every
 * address is checked after DNS resolution and on every redirect hop.
 */
import { BlockList, isIP } from 'node:net';

/** Why an address is refused; `null` when it is a public unicast address. */
export type AddressRefusal =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'shared (CGNAT)'
  | 'unspecified'
  | 'multicast'
  | 'reserved'
  | 'not an IP address';

interface Range {
  readonly network: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
  readonly reason: AddressRefusal;
}

// IANA special-purpose registries (RFC 6890 and successors). Documentation and benchmarking ranges are
// included because nothing legitimate serves images from them and some networks route them internally.
const RANGES: readonly Range[] = [
  { network: '0.0.0.0', prefix: 8, family: 'ipv4', reason: 'unspecified' },
  { network: '10.0.0.0', prefix: 8, family: 'ipv4', reason: 'private' },
  { network: '100.64.0.0', prefix: 10, family: 'ipv4', reason: 'shared (CGNAT)' },
  { network: '127.0.0.0', prefix: 8, family: 'ipv4', reason: 'loopback' },
  { network: '169.254.0.0', prefix: 16, family: 'ipv4', reason: 'link-local' },
  { network: '172.16.0.0', prefix: 12, family: 'ipv4', reason: 'private' },
  { network: '192.0.0.0', prefix: 24, family: 'ipv4', reason: 'reserved' },
  { network: '192.0.2.0', prefix: 24, family: 'ipv4', reason: 'reserved' },
  { network: '192.88.99.0', prefix: 24, family: 'ipv4', reason: 'reserved' },
  { network: '192.168.0.0', prefix: 16, family: 'ipv4', reason: 'private' },
  { network: '198.18.0.0', prefix: 15, family: 'ipv4', reason: 'reserved' },
  { network: '198.51.100.0', prefix: 24, family: 'ipv4', reason: 'reserved' },
  { network: '203.0.113.0', prefix: 24, family: 'ipv4', reason: 'reserved' },
  { network: '224.0.0.0', prefix: 4, family: 'ipv4', reason: 'multicast' },
  { network: '240.0.0.0', prefix: 4, family: 'ipv4', reason: 'reserved' },
  { network: '::', prefix: 128, family: 'ipv6', reason: 'unspecified' },
  { network: '::1', prefix: 128, family: 'ipv6', reason: 'loopback' },
  { network: '100::', prefix: 64, family: 'ipv6', reason: 'reserved' },
  { network: '2001:db8::', prefix: 32, family: 'ipv6', reason: 'reserved' },
  { network: 'fc00::', prefix: 7, family: 'ipv6', reason: 'private' },
  { network: 'fe80::', prefix: 10, family: 'ipv6', reason: 'link-local' },
  { network: 'fec0::', prefix: 10, family: 'ipv6', reason: 'private' },
  { network: 'ff00::', prefix: 8, family: 'ipv6', reason: 'multicast' },
];

// One BlockList per reason so the refusal message can say which kind of address it was.
// node:net's BlockList also matches IPv4-mapped IPv6 forms (::ffff:127.0.0.1) against IPv4 rules.
const LISTS: ReadonlyArray<readonly [AddressRefusal, BlockList]> = (() => {
  const byReason = new Map<AddressRefusal, BlockList>();
  for (const range of RANGES) {
    let list = byReason.get(range.reason);
    if (list === undefined) {
      list = new BlockList();
      byReason.set(range.reason, list);
    }
    list.addSubnet(range.network, range.prefix, range.family);
  }
  return [...byReason.entries()];
})();

/**
 * Classifies an IP address literal. Returns `null` for a public unicast address, otherwise the reason it
 * must not be contacted. IPv6 forms that embed an IPv4 address (NAT64 `64:ff9b::/96`, 6to4 `2002::/16`)
 * are judged by the embedded address, so `64:ff9b::a9fe:a9fe` is refused like 169.254.169.254.
 */
export function classifyAddress(address: string): AddressRefusal | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [reason, list] of LISTS) {
    if (list.check(address, type)) return reason;
  }
  if (family === 6) {
    const embedded = embeddedIPv4(address);
    if (embedded !== null) return classifyAddress(embedded);
  }
  return null;
}

/** The IPv4 address carried inside a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) IPv6 address, if any. */
function embeddedIPv4(address: string): string | null {
  const words = expandIPv6(address);
  if (words === null) return null;
  if (
    words[0] === 0x64 &&
    words[1] === 0xff9b &&
    words[2] === 0 &&
    words[3] === 0 &&
    words[4] === 0 &&
    words[5] === 0
  ) {
    return wordsToIPv4(words[6] ?? 0, words[7] ?? 0);
  }
  if (words[0] === 0x2002) return wordsToIPv4(words[1] ?? 0, words[2] ?? 0);
  return null;
}

function wordsToIPv4(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/** Expands an IPv6 literal (already validated by `isIP`) into its eight 16-bit words. */
function expandIPv6(address: string): number[] | null {
  let text = address;
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  // A trailing dotted quad (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) stands for the last two words.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const octets = tail.split('.').map(Number);
    const high = ((octets[0] ?? 0) << 8) | (octets[1] ?? 0);
    const low = ((octets[2] ?? 0) << 8) | (octets[3] ?? 0);
    text = `${text.slice(0, lastColon + 1)}${high.toString(16)}:${low.toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' || halves[0] === undefined ? [] : halves[0].split(':');
  const rest = halves.length === 2 && halves[1] !== '' && halves[1] !== undefined ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 && missing !== 0) return null;
  const words = [...head, ...new Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  return words.map((word) => Number.parseInt(word, 16));
}
