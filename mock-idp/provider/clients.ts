// How the mock finds its clients: Entra's pairwise `sub` for every application. The clients themselves
// come through the mock's client cache (shared/oidc/clientCache.ts): read once until the client
// registry changes (a reset re-registers them).
//
// Entra's sub is unique per user and application (client id), whatever hosts its redirect URIs are
// on. oidc-provider keys pairwise subjects by sector (the redirect host) and, for a `pairwise` client
// whose redirect URIs span hosts, demands a sector_identifier_uri fetched over https. So clients
// register without subject_type, and every client found is marked pairwise here, with
// pairwiseIdentifier keyed by client id (entraSubject).
import { createHash } from 'node:crypto';
import type Provider from 'oidc-provider';

export function entraSubject(tenantId: string, clientId: string, oid: string): string {
  return createHash('sha256').update(`${tenantId}|${clientId}|${oid}`).digest('base64url');
}

export function installEntraClients(provider: Provider): void {
  const find = provider.Client.find.bind(provider.Client);
  provider.Client.find = async (id: string) => {
    const client = await find(id);
    if (client) (client as { subjectType: string }).subjectType = 'pairwise';
    return client;
  };
}
