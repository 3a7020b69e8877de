/**
 * SSRF guard: the endpoint's host is resolved at delivery time and every candidate address is
 * checked; the request then connects to the checked address itself (see http-client.ts), so a
 * DNS answer that changes between check and connect (rebinding) cannot reach a private network.
 *
 * Refused unless DISPATCHER_ALLOWED_NETWORKS allows them: private, loopback, link-local, CGNAT,
 * cloud metadata, unspecified, multicast, reserved and documentation ranges (IPv4 and IPv6), and
 * IPv6 forms that embed an IPv4 address (mapped ::ffff:a.b.c.d, NAT64, 6to4) are judged by the
 * embedded IPv4 address. Teredo and the deprecated IPv4-compatible form are refused outright.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../common/errors.ts';

const V4_BLOCKED: readonly [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'cgnat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local / cloud metadata'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved / broadcast'],
];

const V6_BLOCKED: readonly [string, number, string][] = [
  ['::', 96, 'unspecified / loopback / ipv4-compatible'],
  ['100::', 64, 'discard'],
  ['2001::', 32, 'teredo'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique local (incl. fd00:ec2::254 metadata)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

function lists(ranges: readonly [string, number, string][], type: 'ipv4' | 'ipv6') {
  return ranges.map(([net, bits, why]) => {
    const b = new BlockList();
    b.addSubnet(net, bits, type);
    return { b, why };
  });
}
const v4Blocked = lists(V4_BLOCKED, 'ipv4');
const v6Blocked = lists(V6_BLOCKED, 'ipv6');

/** Eight 16-bit groups of an IPv6 address (zone id dropped); undefined if not IPv6. */
export function ipv6Groups(address: string): number[] | undefined {
  const a = address.split('%')[0]!;
  if (isIP(a) !== 6) return undefined;
  let tail: number[] = [];
  let s = a;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const o = dotted[1]!.split('.').map(Number);
    tail = [(o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!];
    s = s.slice(0, -dotted[1]!.length);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const [head, rest] = s.includes('::') ? s.split('::') : [s, undefined];
  const parse = (x: string | undefined) =>
    x
      ? x
          .split(':')
          .filter((g) => g !== '')
          .map((g) => parseInt(g, 16))
      : [];
  const h = parse(head);
  const r = parse(rest);
  const fill = 8 - tail.length - h.length - r.length;
  const groups =
    rest === undefined ? [...h, ...tail] : [...h, ...Array<number>(Math.max(0, fill)).fill(0), ...r, ...tail];
  return groups.length === 8 ? groups : undefined;
}

const v4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/** The IPv4 address an IPv6 address stands for (mapped, NAT64 64:ff9b::/96, 6to4 2002::/16). */
export function embeddedIPv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (!g) return undefined;
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && g[5] === 0xffff) return v4Of(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return v4Of(g[6]!, g[7]!);
  if (g[0] === 0x2002) return v4Of(g[1]!, g[2]!);
  return undefined;
}

export interface AddressPolicy {
  /** Why the address is refused, or undefined when it may be contacted. */
  refusal(address: string): string | undefined;
}

/** "127.0.0.1/32,::1/128" → an allowlist; a bare address means /32 or /128. */
export function parseNetworks(items: readonly string[], name = 'DISPATCHER_ALLOWED_NETWORKS'): BlockList {
  const allow = new BlockList();
  for (const item of items) {
    const [net, bitsText] = item.split('/');
    const type = isIP(net ?? '');
    if (type === 0) throw new ConfigError(`${name}: "${item}" is not an address or CIDR`);
    const max = type === 4 ? 32 : 128;
    const bits = bitsText === undefined ? max : Number(bitsText);
    if (!Number.isInteger(bits) || bits < 0 || bits > max)
      throw new ConfigError(`${name}: bad prefix length in "${item}"`);
    allow.addSubnet(net!, bits, type === 4 ? 'ipv4' : 'ipv6');
  }
  return allow;
}

export function createAddressPolicy(allowed: BlockList = new BlockList()): AddressPolicy {
  const refusal = (address: string): string | undefined => {
    const type = isIP(address.split('%')[0]!);
    if (type === 0) return `not an IP address: ${address}`;
    if (type === 4) {
      if (allowed.check(address, 'ipv4')) return undefined;
      const hit = v4Blocked.find((x) => x.b.check(address, 'ipv4'));
      return hit ? `${address} is ${hit.why}` : undefined;
    }
    const bare = address.split('%')[0]!;
    const v4 = embeddedIPv4(bare);
    if (v4 !== undefined) {
      if (allowed.check(bare, 'ipv6')) return undefined;
      const inner = refusal(v4);
      return inner === undefined ? undefined : `${address} embeds ${inner}`;
    }
    if (allowed.check(bare, 'ipv6')) return undefined;
    const hit = v6Blocked.find((x) => x.b.check(bare, 'ipv6'));
    return hit ? `${address} is ${hit.why}` : undefined;
  };
  return { refusal };
}

export class RefusedAddressError extends Error {
  override readonly name = 'RefusedAddressError';
}

export interface Resolved {
  readonly address: string;
  readonly family: 4 | 6;
}

export type Resolver = (host: string) => Promise<readonly Resolved[]>;

export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/**
 * Resolves `host` now and returns the first address the policy allows; the caller connects to
 * exactly that address. Refuses when none is allowed (naming why).
 */
export async function resolveChecked(
  host: string,
  policy: AddressPolicy,
  resolve: Resolver = systemResolver,
): Promise<Resolved> {
  const literal = host.startsWith('[') ? host.slice(1, -1) : host;
  const type = isIP(literal);
  const candidates: readonly Resolved[] =
    type !== 0 ? [{ address: literal, family: type === 6 ? 6 : 4 }] : await resolve(literal);
  const reasons: string[] = [];
  for (const c of candidates) {
    const why = policy.refusal(c.address);
    if (why === undefined) return c;
    reasons.push(why);
  }
  throw new RefusedAddressError(`refused to connect to ${host}: ${reasons.join('; ') || 'no address'}`);
}
