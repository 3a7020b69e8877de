/**
 * The address a request came from, for IP allowlists. The socket's peer address, unless
 * TRUST_PROXY says that many proxies of ours append to X-Forwarded-For: then the entry that the
 * outermost of them wrote (n-th from the right). Entries further left are client-written and
 * never trusted.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/** IPv4-mapped IPv6 (::ffff:1.2.3.4) as plain IPv4, so allowlists written as IPv4 match. */
export function normalizeIp(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

export function socketAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined; // no Node socket behind this request (an in-memory request)
  }
}

export function clientAddress(c: Context, trustedHops: number): string | undefined {
  const peer = socketAddress(c);
  if (trustedHops === 0) return peer === undefined ? undefined : normalizeIp(peer);
  const chain = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // Fewer entries than proxies: the request did not pass through all of ours; trust only the socket.
  const picked = chain.length >= trustedHops ? chain[chain.length - trustedHops] : peer;
  return picked === undefined ? undefined : normalizeIp(picked);
}
