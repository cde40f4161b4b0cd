// What the storage adapter (knexAdapter.ts) keeps for the length of one HTTP request.
//
// - Payload writes are held and sent together when the request's handlers are done, before the
//   response leaves: one multi-row upsert instead of one statement each. The authorization endpoint
//   saves a Session, a Grant and an AuthorizationCode in turn, and the token endpoint an AccessToken
//   and a RefreshToken; each group becomes one statement and, on SQLite, one commit. A client sees a
//   code or a token only in the response, so nothing can look for one before it is stored.
// - Any other adapter call in the same request (a read, a consume, a delete, a revocation) first
//   sends what is held, so the request reads its own writes in order.
// - If a handler throws, what it held is dropped: the request failed and its response says so. The
//   error pages oidc-provider renders itself are not throws; their writes are kept, as without a scope.
// - The authorization codes this request claimed at the token endpoint (see the adapter's `find`).
// - The interaction the resume endpoint took with its read (see the adapter's `find`): oidc-provider
//   destroys it next, which then costs nothing. On the one path where it keeps the interaction for
//   later (the browser is signed in as another account and is asked to sign out first), and when the
//   request fails, the interaction is put back as it was when the request ends.
//
// Outside a request (a CLI, a background sweep, a test calling the adapter) there is no scope and every
// call goes straight to the database.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Middleware } from 'koa';

/** One oidc_payloads row as the adapter writes it. */
export interface PayloadWrite {
  model: string;
  id: string;
  payload: string;
  grantId: string | null;
  accountId: string | null;
  clientId: string | null;
  userCode: string | null;
  uid: string | null;
  expiresAt: number | null;
}

export type PayloadWriter = (writes: readonly PayloadWrite[]) => Promise<void>;

export class RequestScope {
  /** Authorization codes this request took at the token endpoint; their `consume` is already done. */
  readonly claimedCodes = new Set<string>();
  readonly #held = new Map<string, PayloadWrite>();
  #writer: PayloadWriter | undefined;

  /** Holds `write` until the request ends or another adapter call needs the database. */
  hold(write: PayloadWrite, writer: PayloadWriter): void {
    const key = `${write.model}\u0000${write.id}`;
    // A row saved twice is written once, as last saved (one statement may not upsert a row twice).
    this.#held.delete(key);
    this.#held.set(key, write);
    this.#writer = writer;
  }

  /** Interactions taken by a read, with how to put each back unless the request destroys it. */
  readonly #taken = new Map<string, () => Promise<void>>();

  took(interactionId: string, putBack: () => Promise<void>): void {
    this.#taken.set(interactionId, putBack);
  }

  /** True when the interaction was taken in this request: destroying or saving it needs no put-back. */
  settled(interactionId: string): boolean {
    return this.#taken.delete(interactionId);
  }

  async #putBackTaken(): Promise<void> {
    const putBacks = [...this.#taken.values()];
    this.#taken.clear();
    for (const putBack of putBacks) await putBack();
  }

  /** Sends every held write in one statement. */
  async flush(): Promise<void> {
    if (this.#held.size === 0 || !this.#writer) return;
    const writes = [...this.#held.values()];
    this.#held.clear();
    await this.#writer(writes);
  }

  /** The request is done: held writes are sent if it succeeded, dropped if not; takes are put back. */
  async end(succeeded: boolean): Promise<void> {
    if (succeeded) await this.flush();
    else this.#held.clear();
    await this.#putBackTaken();
  }
}

const scopes = new AsyncLocalStorage<RequestScope>();

/** The scope of the request being handled, if any. */
export function currentRequestScope(): RequestScope | undefined {
  return scopes.getStore();
}

/** Runs `handle` in a scope of its own and sends what it held once it returns (see the file comment). */
export function withRequestScope<T>(handle: () => Promise<T>): Promise<T> {
  const scope = new RequestScope();
  return scopes.run(scope, async () => {
    let result: T;
    try {
      result = await handle();
    } catch (error) {
      await scope.end(false).catch(() => undefined);
      throw error;
    }
    await scope.end(true);
    return result;
  });
}

/**
 * Gives each request a scope. Goes in front of oidc-provider's routes and after the middleware that
 * turns errors into pages, so that a failed final write is answered like any other database error.
 */
export function adapterRequestScope(): Middleware {
  return (_ctx, next) => withRequestScope(next);
}
