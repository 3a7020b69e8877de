/** Source IP allowlists (CIDR), checked before a token by schemes that sign nothing. */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { RawRequest, SourceConfig, VerifyResult } from '../types.ts';
import { fail } from './verdict.ts';

const blockListCache = new WeakMap<readonly string[], BlockList>();

/** IP allowlist with CIDR support (node:net BlockList); empty list allows all. */
export function ipAllowed(remote: string | undefined, allowed: readonly string[] | undefined): boolean {
  if (!allowed || allowed.length === 0) return true;
  if (!remote) return false;
  let list = blockListCache.get(allowed);
  if (!list) {
    list = new BlockList();
    for (const entry of allowed) {
      const [addr, bits] = entry.split('/');
      if (!addr) continue;
      const type = isIPv6(addr) ? 'ipv6' : 'ipv4';
      if (bits !== undefined) list.addSubnet(addr, Number(bits), type);
      else list.addAddress(addr, type);
    }
    blockListCache.set(allowed, list);
  }
  const ip = remote.startsWith('::ffff:') && isIPv4(remote.slice(7)) ? remote.slice(7) : remote;
  return list.check(ip, isIPv6(ip) ? 'ipv6' : 'ipv4');
}

/** Applies the source's IP allowlist; providers that sign nothing call it before their token check. */
export function checkIp(req: RawRequest, source: SourceConfig): VerifyResult | undefined {
  return ipAllowed(req.remoteAddress, source.options.allowedIps) ? undefined : fail('ip_not_allowed');
}
