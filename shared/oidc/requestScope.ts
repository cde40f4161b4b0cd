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
// - Interaction writes are held too, so that a service can add its pending step to the interaction
//   saved in the same request (knexAdapter.ts `attachPendingStep`): one statement for both.
// - The codes and refresh tokens this request took with their read at the token endpoint (see the
//   adapter's `find`). A request that fails (a throw, or an answer of 500 or more, which is how
//   oidc-provider reports a failure of its own such as a database error) gives them back, unless a
//   write of its own reached the database after it took them: the client's retry is then not taken
//   for a reuse. A request refused for the client's own mistake (a wrong PKCE verifier: 400) keeps
//   them spent.
// - The grant and the account read with a code or refresh token it took (see the adapter's `find`),
//   which oidc-provider asks for next: no statement of their own.
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
  /** What a service keeps with the row (knexAdapter.ts `attachAnnex`). */
  annex?: Annex | undefined;
}

/** A service's own data kept with a payload row, found by its key. */
export interface Annex {
  key: string;
  data: string;
}

/** A step a service waits for before the interaction goes on, kept on its row (knexAdapter.ts). */
export interface PendingStep {
  /** What the step must be presented with to be taken, once. */
  key: string;
  data: string;
}

/** One oidc_interactions row as the adapter writes it. */
export interface InteractionWrite {
  id: string;
  payload: string;
  expiresAt: number | null;
  pending?: PendingStep | undefined;
}

/** An interaction row read by another statement of this request (with a pending step taken). */
export interface KnownInteraction {
  id: string;
  payload: string;
  expires_at: number | null;
}

/** A payload row read by another statement of this request (a claimed code's grant). */
export interface KnownPayload {
  id: string;
  payload: string;
  grant_id: string | null;
}

export interface ScopeWriters {
  payloads(writes: readonly PayloadWrite[]): Promise<void>;
  interaction(write: InteractionWrite): Promise<void>;
}

/**
 * What the adapter may ask of the request: the part of its Koa context that oidc-provider fills in
 * once its router has taken the request (`ctx.oidc`: the route, the parameters, the authenticated
 * client).
 */
export interface RequestContext {
  /** The answer's status so far (Koa's `ctx.status`). */
  status?: number;
  oidc?: {
    route?: string;
    params?: Record<string, unknown> | undefined;
    client?: { clientId: string } | undefined;
  };
}

export class RequestScope {
  /** The request's context, read when the adapter needs it (oidc-provider fills it in meanwhile). */
  readonly context: RequestContext;
  /** Codes and refresh tokens this request took with their read, by model and id (see `took`). */
  readonly #claims = new Map<string, { consumed: boolean; giveBack: () => Promise<void> }>();
  /** Whether a write of this request has reached the database since its first claim. */
  #storedSinceClaim = false;
  /** Interactions this request has read already, by their id. */
  readonly knownInteractions = new Map<string, KnownInteraction>();
  /**
   * Payload rows another statement of this request read already (a claimed code's grant), by model
   * and id; dropped when the request saves or deletes the row.
   */
  readonly knownPayloads = new Map<string, KnownPayload>();
  /**
   * Accounts read with a claimed code or refresh token, by account id: the service's JSON text, or
   * null when there is no such account (knexAdapter.ts `accountReadWithClaim`).
   */
  readonly accountsRead = new Map<string, string | null>();
  /**
   * Annexes of sessions this request deleted, by the session's uid: oidc-provider gives a session a
   * new id (deletes the row, saves it anew) when it signs in again, and the annex follows the session.
   */
  readonly annexesOfDeletedSessions = new Map<string, Annex>();
  readonly #held = new Map<string, PayloadWrite>();
  readonly #heldInteractions = new Map<string, InteractionWrite>();
  /** Interactions taken by a read, with how to put each back unless the request destroys it. */
  readonly #taken = new Map<string, () => Promise<void>>();
  #writers: ScopeWriters | undefined;

  constructor(context: RequestContext = {}) {
    this.context = context;
  }

  /** Holds `write` until the request ends or another adapter call needs the database. */
  hold(write: PayloadWrite, writers: ScopeWriters): void {
    const key = `${write.model}\u0000${write.id}`;
    // A row saved twice is written once, as last saved (one statement may not upsert a row twice),
    // with the annex a service has added meanwhile.
    const annex = write.annex ?? this.#held.get(key)?.annex;
    this.#held.delete(key);
    this.#held.set(key, { ...write, annex });
    this.knownPayloads.delete(key);
    this.#writers = writers;
  }

  /** Holds an interaction's write until the request ends; a pending step already added is kept. */
  holdInteraction(write: InteractionWrite, writers: ScopeWriters): void {
    const pending = write.pending ?? this.#heldInteractions.get(write.id)?.pending;
    this.#heldInteractions.set(write.id, { ...write, pending });
    this.knownInteractions.delete(write.id);
    this.#writers = writers;
  }

  heldPayload(model: string, id: string): PayloadWrite | undefined {
    return this.#held.get(`${model}\u0000${id}`);
  }

  heldInteraction(id: string): InteractionWrite | undefined {
    return this.#heldInteractions.get(id);
  }

  /** Drops the held write of an interaction the request destroys. */
  dropInteraction(id: string): void {
    this.#heldInteractions.delete(id);
    this.knownInteractions.delete(id);
  }

  /** A code or refresh token taken with its read; `giveBack` undoes that if the request fails. */
  claimed(model: string, id: string, giveBack: () => Promise<void>): void {
    this.#claims.set(`${model}\u0000${id}`, { consumed: false, giveBack });
  }

  /**
   * oidc-provider consumes what it has redeemed: true the first time for a code or refresh token this
   * request took (already consumed in the database), false otherwise.
   */
  consumedByClaim(model: string, id: string): boolean {
    const claim = this.#claims.get(`${model}\u0000${id}`);
    if (!claim || claim.consumed) return false;
    claim.consumed = true;
    return true;
  }

  async #giveBackClaims(): Promise<void> {
    const claims = [...this.#claims.values()];
    this.#claims.clear();
    if (this.#storedSinceClaim) return;
    for (const claim of claims) await claim.giveBack();
  }

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

  /** Sends every held payload write in one statement. */
  async flush(): Promise<void> {
    if (this.#held.size === 0 || !this.#writers) return;
    const writes = [...this.#held.values()];
    this.#held.clear();
    await this.#writers.payloads(writes);
    if (this.#claims.size > 0) this.#storedSinceClaim = true;
  }

  /**
   * The request is done. If it succeeded, held writes are sent (payloads in one statement, then each
   * interaction). If it failed (the handler threw, or the answer is a 500 or more), they are dropped
   * and the codes and refresh tokens it took are given back; so they are when sending fails. Taken
   * interactions that the request did not settle are put back either way.
   */
  async end(handlerSucceeded: boolean): Promise<void> {
    const interactions = [...this.#heldInteractions.values()];
    this.#heldInteractions.clear();
    const failed = !handlerSucceeded || (this.context.status ?? 200) >= 500;
    if (failed) {
      this.#held.clear();
      await this.#giveBackClaims();
      await this.#putBackTaken();
      return;
    }
    try {
      await this.flush();
      for (const write of interactions) await this.#writers?.interaction(write);
    } catch (error) {
      await this.#giveBackClaims().catch(() => undefined);
      await this.#putBackTaken().catch(() => undefined);
      throw error;
    }
    this.#claims.clear();
    await this.#putBackTaken();
  }
}

const scopes = new AsyncLocalStorage<RequestScope>();

/** The scope of the request being handled, if any. */
export function currentRequestScope(): RequestScope | undefined {
  return scopes.getStore();
}

/**
 * Runs `handle` in a scope of its own, for the request `context`, and sends what it held once it
 * returns (see the file comment).
 */
export function withRequestScope<T>(handle: () => Promise<T>, context: RequestContext = {}): Promise<T> {
  const scope = new RequestScope(context);
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
  return (ctx, next) => withRequestScope(next, ctx as RequestContext);
}
