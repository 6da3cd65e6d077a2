import { hash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/** The first four groups of an IPv6 address (its /64), `::ffff:` IPv4 and zone ids already removed. */
function ipv6Network(address: string): string {
  const [head = '', tail] = address.split('::') as [string, string | undefined];
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const full = [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  return `${full.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/** The last address asked about and its key: a connection's requests come one after another from one address. */
let last: { readonly ip: string; readonly key: string } = { ip: '', key: '' };

/**
 * The key an anomaly store counts a client address under. The address is the one the
 * framework's trust-proxy rules gave (`req.ip`, `ctx.ip`). An IPv4-mapped IPv6 address counts as
 * its IPv4 address, and an IPv6 address as its /64 network (one subscriber's allotment, which an
 * attacker could otherwise rotate through without end). Anything that is not an address (a
 * forwarded header the app chose to trust can hold any text) is hashed, so its length and
 * characters never reach a store. `undefined` when there is no address.
 */
export function clientKey(ip: string | undefined): string | undefined {
  if (typeof ip !== 'string' || ip === '') return undefined;
  if (ip === last.ip) return last.key;
  const key = keyOf(ip);
  last = { ip, key };
  return key;
}

function keyOf(ip: string): string {
  const lower = ip.toLowerCase();
  const mapped = lower.startsWith('::ffff:') ? lower.slice(7) : undefined;
  if (mapped !== undefined && isIPv4(mapped)) return mapped;
  if (isIPv4(lower)) return lower;
  const unzoned = lower.split('%', 1)[0]!;
  if (isIPv6(unzoned)) return ipv6Network(unzoned);
  return `hash:${hash('sha256', ip, 'base64url').slice(0, 22)}`;
}
