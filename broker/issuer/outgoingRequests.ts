// The requests the issuer makes to apps (back-channel logout tokens). oidc-provider sends them through
// an agent that refuses private, loopback and other special-use addresses (SSRF protection). A
// development or test broker has an http:// issuer and its apps on loopback, so there, and only for
// loopback targets, the guard is left out; an https:// issuer (production: config refuses http) keeps it.
import type { Configuration } from 'oidc-provider';

type Fetch = NonNullable<Configuration['fetch']>;

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  return loopbackHosts.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

export function outgoingFetch(issuer: string): Fetch {
  const developmentIssuer = new URL(issuer).protocol === 'http:';
  return (input, init) => {
    const target = new URL(input instanceof Request ? input.url : input);
    if (!developmentIssuer || !isLoopbackHost(target.hostname)) return fetch(input, init);
    const { dispatcher: _ssrfGuard, ...withoutGuard } = (init ?? {}) as RequestInit & {
      dispatcher?: unknown;
    };
    return fetch(input, withoutGuard);
  };
}
