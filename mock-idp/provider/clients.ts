// How the mock finds its clients: Entra's pairwise `sub` for every application, and each client read
// from the database once until the control API changes the directory (reset re-registers them).
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

type Client = NonNullable<Awaited<ReturnType<Provider['Client']['find']>>>;

export interface ClientCache {
  /** Forgets every client, so the next request reads them again. */
  clear(): void;
}

export function installEntraClients(provider: Provider): ClientCache {
  const find = provider.Client.find.bind(provider.Client);
  const found = new Map<string, Promise<Client | undefined>>();
  provider.Client.find = (id: string) => {
    let client = found.get(id);
    if (!client) {
      client = find(id).then((result) => {
        if (result) (result as { subjectType: string }).subjectType = 'pairwise';
        // An unknown id is not remembered: a client registered later is found at once.
        else found.delete(id);
        return result;
      });
      client.catch(() => found.delete(id));
      found.set(id, client);
    }
    return client;
  };
  return { clear: () => found.clear() };
}
