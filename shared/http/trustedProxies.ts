// TRUST_PROXY: the addresses of the reverse proxies whose X-Forwarded-* headers a service believes.
// Koa's `proxy` flag trusts those headers from anyone who reaches the port, so a direct caller could
// set the host and scheme the service sees (and so its discovery URLs). Here the headers of any other
// peer are removed before Koa or oidc-provider read them.
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Context, Next } from 'koa';
import { z } from 'zod';

/** Addresses and CIDR ranges, e.g. `127.0.0.2,10.0.0.0/8,::1`. Empty: believe no one. */
export type TrustedProxies = readonly string[];

function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const family = net.isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits >= 0 && bits <= (family === 4 ? 32 : 128);
}

export const trustProxySchema = z
  .string()
  .default('false')
  .transform((value, context): TrustedProxies => {
    const trimmed = value.trim();
    if (trimmed === '' || trimmed === 'false') return [];
    if (trimmed === 'true') {
      context.addIssue({
        code: 'custom',
        message:
          "must name the proxy's addresses (e.g. 127.0.0.2 or 10.0.0.0/8, comma-separated) or be false; " +
          'true would believe forwarded headers from anyone',
      });
      return z.NEVER;
    }
    const entries = trimmed.split(',').map((entry) => entry.trim());
    const invalid = entries.filter((entry) => !isAddressOrRange(entry));
    if (invalid.length > 0) {
      context.addIssue({
        code: 'custom',
        message: `not an IP address or CIDR range: ${invalid.join(', ')}`,
      });
      return z.NEVER;
    }
    return Object.freeze(entries);
  });

/** The TCP peer's address, IPv4-mapped IPv6 (`::ffff:127.0.0.2`) written as IPv4. */
function peerAddress(request: IncomingMessage): string | undefined {
  const address = request.socket.remoteAddress;
  return address?.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** Whether a request came straight from one of the trusted proxies. */
export function trustedPeer(proxies: TrustedProxies): (request: IncomingMessage) => boolean {
  const list = new net.BlockList();
  for (const entry of proxies) {
    const [address = '', prefix] = entry.split('/');
    const family = net.isIPv4(address) ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return (request) => {
    const address = peerAddress(request);
    if (!address || proxies.length === 0) return false;
    return list.check(address, net.isIPv4(address) ? 'ipv4' : 'ipv6');
  };
}

/** Removes X-Forwarded-* (and Forwarded) from a request that did not come from a trusted proxy. */
export function dropUntrustedForwarding(proxies: TrustedProxies): (request: IncomingMessage) => void {
  const fromProxy = trustedPeer(proxies);
  return (request) => {
    if (fromProxy(request)) return;
    for (const name of Object.keys(request.headers))
      if (name.startsWith('x-forwarded-') || name === 'forwarded') delete request.headers[name];
  };
}

/**
 * Configures a Koa app (or an oidc-provider, which is one) for TRUST_PROXY; returns the middleware
 * to install before any other. The proxy must set X-Forwarded-For to the client's address; Koa then
 * takes its last entry (the one the proxy wrote), not one a client put there.
 */
export function trustProxies(
  app: { proxy: boolean; maxIpsCount: number },
  proxies: TrustedProxies,
): (ctx: Context, next: Next) => Promise<void> {
  app.proxy = proxies.length > 0;
  app.maxIpsCount = 1;
  const drop = dropUntrustedForwarding(proxies);
  return async (ctx, next) => {
    drop(ctx.req);
    await next();
  };
}
