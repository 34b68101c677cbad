/**
 * Which webhook endpoint URLs we accept (docs/events.md §4, SSRF): `https` only, no credentials in
 * the URL, and a host that is, or resolves to, public unicast addresses only. Loopback, private,
 * link-local, CGNAT, unique-local, documentation, multicast, IPv4-mapped and NAT64 IPv6 and the
 * like are refused; a name that resolves to any such address is refused as a whole.
 * `allowPrivate` (WEBHOOKS_ALLOW_PRIVATE_URLS=1, development and tests; unsafe in production)
 * accepts `http` and every address.
 *
 *   checkEndpointUrl(raw, { allowPrivate, resolve }) -> { url } | { error }
 *   isPublicAddress(ip) -> boolean
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** A name's addresses (all of them: one private answer is enough to refuse). */
export type Resolve = (hostname: string) => Promise<string[]>;

export const systemResolve: Resolve = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b:1::', 48], // local NAT64
  ['100::', 64], // discard
  ['2001::', 32], // Teredo
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

// IPv6 forms that reach IPv4 space, never needed for a public endpoint: refused outright. A list
// apart: BlockList matches an IPv4 address against an IPv4-mapped rule too.
const toIpv4 = new BlockList();
toIpv4.addSubnet('::ffff:0:0', 96, 'ipv6'); // IPv4-mapped
toIpv4.addSubnet('64:ff9b::', 96, 'ipv6'); // NAT64

export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  if (family === 6 && toIpv4.check(ip, 'ipv6')) return false;
  return !blocked.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

export type UrlCheck = { url: URL; addresses: string[] } | { error: string };

export async function checkEndpointUrl(
  raw: string,
  options: { allowPrivate: boolean; resolve: Resolve },
): Promise<UrlCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { error: 'must be an absolute URL' };
  }
  const schemes = options.allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) return { error: 'must use https' };
  if (url.username || url.password) return { error: 'must not hold credentials' };
  if (url.hash) return { error: 'must not have a fragment' };
  if (options.allowPrivate) return { url, addresses: [] };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0)
    return isPublicAddress(host) ? { url, addresses: [host] } : { error: 'must be a public address' };
  if (host === 'localhost' || host.endsWith('.localhost') || !host.includes('.'))
    return { error: 'must be a public host name' };
  let addresses: string[];
  try {
    addresses = await options.resolve(host);
  } catch {
    return { error: 'host name does not resolve' };
  }
  if (addresses.length === 0) return { error: 'host name does not resolve' };
  if (!addresses.every(isPublicAddress)) return { error: 'must resolve to public addresses only' };
  return { url, addresses };
}
