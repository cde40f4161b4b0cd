// The registered clients as a running service reads them: oidc-provider looks its client up on every
// request that names one (authorization, resume, token, refresh…), so each client's row is read once
// and kept while the registry version (clientStore.ts, bumped in the transaction of every client
// write) stays the same. The service polls that version with one statement every refresh interval and
// forgets every client when it moved, so a change made by the CLI, a seed or another instance on the
// same database reaches this one within the interval. An unknown id is never remembered: a client
// registered a moment ago is found at once.
import type { Knex } from 'knex';
import type { Logger } from '../logger.ts';
import { type ClientRow, clientRegistryVersion, readClientRow } from './clientStore.ts';

export interface ClientCache {
  /** The client's stored row, from memory while the registry is unchanged; undefined if unknown. */
  find(clientId: string): Promise<ClientRow | undefined>;
  /** Reads the registry version now (after any read in progress) and forgets every client if it moved. */
  refresh(): Promise<void>;
  /** Forgets every client: the next request reads its client again. */
  clear(): void;
  /** Stops polling; resolves when a read in progress has finished, so the database can close. */
  stop(): Promise<void>;
}

export function createClientCache(options: { db: Knex; logger: Logger; refreshMs: number }): ClientCache {
  const { db, logger } = options;
  const rows = new Map<string, ClientRow>();
  // Moves whenever the entries are dropped: a row read before a drop is not kept after it, however late
  // its answer arrives.
  let generation = 0;
  let version: number | undefined;
  let versionKnown = false;
  let stopped = false;
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;

  const clear = () => {
    rows.clear();
    generation += 1;
  };

  const poll = async () => {
    const current = await clientRegistryVersion(db);
    if (stopped || (versionKnown && current === version)) return;
    if (versionKnown) logger.info({ version: current }, 'the client registry changed; reading clients again');
    version = current;
    versionKnown = true;
    clear();
  };

  const refresh = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      // A read already under way may have started before the change the caller wants to see.
      queued ??= running.then(() => {
        queued = undefined;
        return refresh();
      });
      return queued;
    }
    running = poll()
      .catch((error: unknown) => {
        // The clients in memory stay as they are: the database being away for a while changes none.
        logger.warn({ err: error }, 'could not read the client registry version; keeping the clients read');
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const interval = setInterval(() => void refresh(), options.refreshMs);
  interval.unref();

  return {
    async find(clientId) {
      const cached = rows.get(clientId);
      if (cached) return cached;
      const readIn = generation;
      const row = await readClientRow(db, clientId);
      if (row && readIn === generation && !stopped) rows.set(clientId, row);
      return row;
    },
    refresh,
    clear,
    async stop() {
      stopped = true;
      clearInterval(interval);
      await queued;
      await running;
    },
  };
}
