// oidc-provider storage on knex: one table for every model's payloads but interactions, which have
// their own (oidc_interactions, see shared/oidc/migration.ts), plus the client registry.
// Honours expiry on every read and makes `consume` atomic, so an authorization code or a refresh
// token can be redeemed once even when two requests race (the loser gets invalid_grant).
//
// A detected reuse revokes the whole grant durably: the loser of a consume race stores a
// `RevokedGrant` marker (its id is the grant id) before deleting the grant's rows, and every read
// refuses a payload whose grant carries that marker. So tokens that the winner stores after the reuse
// was seen are dead too, whatever order the two requests reach the database in (RFC 6749 §4.1.2,
// RFC 9700 §4.14.2).
//
// Clients come from the client registry: through a service's client cache (clientCache.ts) when one
// is given, so that a known client costs no statement per request; straight from the table otherwise.
//
// The statements every sign-in and token request makes are built once with knex and run raw
// (preparedQuery.ts): the same SQL, without building it again on every call.
//
// Within an HTTP request (requestScope.ts) payload writes are held and sent as one statement when the
// request's handlers are done, and the token endpoint takes its authorization code with the read: one
// UPDATE … RETURNING marks it consumed and answers it, so a code costs one statement instead of a
// read and a consume. A code is therefore spent by the first request in which its own client presents
// it, even one that then fails its PKCE or redirect_uri check: that request gets no tokens, and
// neither does any later one (so a code_verifier cannot be guessed at). Another client presenting it
// leaves it as it was, and a request that fails (a throw, or a 500 or more) gives back what it took
// (requestScope.ts), so that the client's retry is not taken for a reuse. The same statement answers
// the code's grant and, when the service says how (AccountJsonQuery), the grant's account, which
// oidc-provider reads next: the request then reads them without a statement. In the same way the
// resume endpoint takes its interaction with the read (one DELETE … RETURNING), which oidc-provider
// destroys next; requestScope.ts puts it back on the paths that keep it.
import type { Knex } from 'knex';
import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import { changesOf, preparedQuery, rawStatement, rowsOf } from '../preparedQuery.ts';
import type { ClientCache } from './clientCache.ts';
import { clientMetadataFromRow, readClientRow } from './clientStore.ts';
import {
  type Annex,
  currentRequestScope,
  type KnownInteraction,
  type PayloadWrite,
  type PendingStep,
  type RequestContext,
  type ScopeWriters,
} from './requestScope.ts';

export type AdapterConstructor = new (name: string) => Adapter;

/** The pseudo-model of the durable "this grant was revoked after a reuse" marker. */
export const revokedGrantModel = 'RevokedGrant';
/** How long a marker lives when the grant's own expiry is unknown (nothing of a grant outlives it). */
const revokedGrantFallbackMs = 30 * 24 * 60 * 60 * 1000;
/** Written and deleted within one sign-in: kept in oidc_interactions, by id alone. */
const interactionModel = 'Interaction';
const sessionModel = 'Session';
const grantModel = 'Grant';
/** Taken with its read at the token endpoint (see the file comment). */
const codeModel = 'AuthorizationCode';
const refreshTokenModel = 'RefreshToken';
/** Columns of a service's annex (attachAnnex): the broker's, on its sessions; the mock has none. */
const annexColumns = ['annex_key', 'annex'] as const;
const payloadColumns = [
  'model',
  'id',
  'payload',
  'grant_id',
  'account_id',
  'client_id',
  'user_code',
  'uid',
  'expires_at',
] as const;

/** The adapter's hot statements, built once per database (see the file comment). */
function adapterStatements(db: Knex) {
  const unexpired = (column: string, now: string) => (query: Knex.QueryBuilder) =>
    query.whereNull(column).orWhere(column, '>', now);
  const grantNotRevoked = (grantIdColumn: string) =>
    db({ marker: 'oidc_payloads' })
      .select(db.raw('1'))
      .where('marker.model', revokedGrantModel)
      .andWhereRaw('?? = ??', ['marker.id', grantIdColumn]);
  const findBy = (column: 'id' | 'uid' | 'user_code') =>
    preparedQuery<[model: string, value: string, now: number]>(db, 3, (model, value, now) =>
      db({ payload: 'oidc_payloads' })
        .select('payload.id', 'payload.payload', 'payload.grant_id', 'payload.uid', 'payload.consumed_at')
        .where({ 'payload.model': model, [`payload.${column}`]: value })
        .andWhere(unexpired('payload.expires_at', now))
        .whereNotExists(grantNotRevoked('payload.grant_id'))
        .first(),
    );
  // Several rows in one upsert, one statement per row count (a request holds two or three). With an
  // annex among them, every row names the annex columns, and a row saved without one keeps its own.
  const upserts = new Map<string, (...values: unknown[]) => Promise<unknown>>();
  const upsertPayloads = (count: number, withAnnex: boolean) => {
    const shape = `${count}${withAnnex ? '+annex' : ''}`;
    let statement = upserts.get(shape);
    if (!statement) {
      const columns: readonly string[] = withAnnex ? [...payloadColumns, ...annexColumns] : payloadColumns;
      const kept = (column: string) =>
        db.raw('coalesce(excluded.??, ??.??)', [column, 'oidc_payloads', column]);
      statement = preparedQuery<unknown[]>(db, count * columns.length, (...placeholders) => {
        const insert = db('oidc_payloads')
          .insert(
            Array.from({ length: count }, (_, row) =>
              Object.fromEntries(
                columns.map((column, index) => [column, placeholders[row * columns.length + index]]),
              ),
            ),
          )
          .onConflict(['model', 'id']);
        if (!withAnnex) return insert.merge();
        return insert.merge({
          ...Object.fromEntries(payloadColumns.map((column) => [column, db.raw('excluded.??', [column])])),
          ...Object.fromEntries(annexColumns.map((column) => [column, kept(column)])),
        });
      });
      upserts.set(shape, statement);
    }
    return statement;
  };
  // Raw SQL (each use below says why), run as the built ones are (preparedQuery.ts rawStatement).
  const raw = {
    takePending: rawStatement(
      db,
      'update oidc_interactions set pending_key = null where id = ? and pending_key = ? and (expires_at is null or expires_at > ?) returning id, payload, expires_at, pending_data',
    ),
    takeInteraction: rawStatement(
      db,
      'delete from oidc_interactions where id = ? and (expires_at is null or expires_at > ?) returning id, payload, expires_at',
    ),
    destroySessionKeepingAnnex: rawStatement(
      db,
      'delete from oidc_payloads where model = ? and id = ? returning uid, annex_key, annex',
    ),
  };
  return {
    upsertPayloads: async (writes: readonly PayloadWrite[]): Promise<void> => {
      const withAnnex = writes.some((write) => write.annex);
      await upsertPayloads(
        writes.length,
        withAnnex,
      )(
        ...writes.flatMap((write) => [
          write.model,
          write.id,
          write.payload,
          write.grantId,
          write.accountId,
          write.clientId,
          write.userCode,
          write.uid,
          write.expiresAt,
          ...(withAnnex ? [write.annex?.key ?? null, write.annex?.data ?? null] : []),
        ]),
      );
    },
    attachAnnex: preparedQuery<[key: string, data: string, model: string, id: string]>(
      db,
      4,
      (key, data, model, id) =>
        db('oidc_payloads').where({ model, id }).update({ annex_key: key, annex: data }),
    ),
    release: preparedQuery<[model: string, id: string, claimedAt: number]>(db, 3, (model, id, claimedAt) =>
      db('oidc_payloads').where({ model, id, consumed_at: claimedAt }).update({ consumed_at: null }),
    ),
    upsertInteractionPending: preparedQuery<
      [id: string, payload: string, expiresAt: number | null, pendingKey: string, pendingData: string]
    >(db, 5, (id, payload, expiresAt, pendingKey, pendingData) =>
      db('oidc_interactions')
        .insert({ id, payload, expires_at: expiresAt, pending_key: pendingKey, pending_data: pendingData })
        .onConflict('id')
        .merge(),
    ),
    attachPending: preparedQuery<[pendingKey: string, pendingData: string, id: string]>(
      db,
      3,
      (pendingKey, pendingData, id) =>
        db('oidc_interactions').where({ id }).update({ pending_key: pendingKey, pending_data: pendingData }),
    ),
    // Raw, as takeInteraction below.
    takePending: (id: string, pendingKey: string, now: number) => raw.takePending([id, pendingKey, now]),
    upsertInteraction: preparedQuery<[id: string, payload: string, expiresAt: number | null]>(
      db,
      3,
      (id, payload, expiresAt) =>
        db('oidc_interactions').insert({ id, payload, expires_at: expiresAt }).onConflict('id').merge(),
    ),
    findInteraction: preparedQuery<[id: string, now: number]>(db, 2, (id, now) =>
      db('oidc_interactions').where({ id }).andWhere(unexpired('expires_at', now)).first('id', 'payload'),
    ),
    findById: findBy('id'),
    findByUid: findBy('uid'),
    findByUserCode: findBy('user_code'),
    consume: preparedQuery<[now: number, model: string, id: string]>(db, 3, (now, model, id) =>
      db('oidc_payloads').where({ model, id }).whereNull('consumed_at').update({ consumed_at: now }),
    ),
    destroyPayload: preparedQuery<[model: string, id: string]>(db, 2, (model, id) =>
      db('oidc_payloads').where({ model, id }).delete(),
    ),
    // Raw: knex leaves `returning` out of a delete on SQLite. The same SQL runs on PostgreSQL.
    takeInteraction: (id: string, now: number) => raw.takeInteraction([id, now]),
    // Raw, as takeInteraction: a session's annex, to follow it to the id oidc-provider gives it next.
    destroySessionKeepingAnnex: (id: string) => raw.destroySessionKeepingAnnex([sessionModel, id]),
    destroyInteraction: preparedQuery<[id: string]>(db, 1, (id) =>
      db('oidc_interactions').where({ id }).delete(),
    ),
  };
}

/**
 * How a service reads one of its accounts as one JSON text (NULL when there is none): a scalar
 * subquery, in the database's dialect, on the account id given as an SQL expression. With it the
 * token endpoint's claim (below) answers the account as well, and the service's findAccount takes it
 * from there (accountReadWithClaim). The expression holds a placeholder the claim binds; the
 * subquery adds none of its own.
 */
export type AccountJsonQuery = (accountIdSql: string) => string;

/**
 * The token endpoint's take of a code or refresh token: an unconsumed, unexpired one of a grant not
 * revoked, marked consumed in the same statement and answered with its grant (when unexpired) and,
 * when the service says how to read one, the grant's account as it is now. So redeeming costs one
 * statement for what oidc-provider reads next. Raw, as takeInteraction: the subqueries read the row
 * being updated, which the builder does not express. The same SQL runs on PostgreSQL.
 */
function claimStatement(db: Knex, accountJson?: AccountJsonQuery) {
  const grantOf = (column: string) =>
    `(select g.${column} from oidc_payloads g where g.model = '${grantModel}' and g.id = oidc_payloads.grant_id
      and (g.expires_at is null or g.expires_at > ?))`;
  const account = accountJson ? accountJson(grantOf('account_id')) : 'null';
  // The subqueries' `?` are bound to `now`, as many as they hold.
  const accountBindings = account.split('?').length - 1;
  const sql = `update oidc_payloads set consumed_at = ?
    where model = ? and id = ? and consumed_at is null and (expires_at is null or expires_at > ?)
      and not exists (select 1 from oidc_payloads marker
        where marker.model = '${revokedGrantModel}' and marker.id = oidc_payloads.grant_id)
    returning id, payload, grant_id, uid, ${grantOf('payload')} as grant_payload,
      ${grantOf('account_id')} as grant_account_id, ${account} as account_json`;
  const statement = rawStatement(db, sql);
  return (now: number, model: string, id: string) =>
    statement([now, model, id, now, now, now, ...Array.from({ length: accountBindings }, () => now)]);
}

type AdapterStatements = ReturnType<typeof adapterStatements>;
const statementsByDatabase = new WeakMap<Knex, { statements: AdapterStatements; writers: ScopeWriters }>();

/** The statements for `db`, built on first use, and the writers a request scope sends its writes with. */
function statementsFor(db: Knex): { statements: AdapterStatements; writers: ScopeWriters } {
  let built = statementsByDatabase.get(db);
  if (!built) {
    const statements = adapterStatements(db);
    const writers: ScopeWriters = {
      payloads: statements.upsertPayloads,
      async interaction({ id, payload, expiresAt, pending }) {
        if (pending)
          await statements.upsertInteractionPending(id, payload, expiresAt, pending.key, pending.data);
        else await statements.upsertInteraction(id, payload, expiresAt);
      },
    };
    built = { statements, writers };
    statementsByDatabase.set(db, built);
  }
  return built;
}

/**
 * `clients`: the service's client cache (clientCache.ts). `keepsAnnexes`: the service's oidc_payloads
 * has the annex columns (attachAnnex), and a session's annex follows it to its new id.
 * `rotatesRefreshTokens`: the provider's rotateRefreshToken is `true`, so the token endpoint consumes
 * every refresh token it accepts, and may take it with the read. `accountJson`: how the service reads
 * an account, for the token endpoint's claim to answer it with the code or refresh token.
 */
export function createKnexAdapter(
  db: Knex,
  clients?: ClientCache,
  options: { keepsAnnexes?: boolean; rotatesRefreshTokens?: boolean; accountJson?: AccountJsonQuery } = {},
): AdapterConstructor {
  const keepsAnnexes = options.keepsAnnexes ?? false;
  const rotatesRefreshTokens = options.rotatesRefreshTokens ?? false;
  const { statements, writers } = statementsFor(db);
  const claim = claimStatement(db, options.accountJson);
  return class KnexAdapter implements Adapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.model === 'Client')
        throw new Error('clients are managed with the CLI, not through the provider');
      const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : null;
      if (this.model === interactionModel) {
        const stored = JSON.stringify(storedPayload(this.model, id, payload, false));
        const scope = currentRequestScope();
        if (scope) {
          scope.settled(id);
          scope.holdInteraction({ id, payload: stored, expiresAt }, writers);
        } else await statements.upsertInteraction(id, stored, expiresAt);
        return;
      }
      // A grant is its own grant: revoking a grant id then reaches the Grant row as well.
      const grantId = payload.grantId ?? (this.model === 'Grant' ? id : null);
      // The account and client are written only where no grant reaches the row: the Grant itself,
      // sessions, and grant-less payloads. Revocation by account or client reaches the rest through
      // their grant (broker/issuer/revocation.ts), so codes and tokens carry no owner index entries.
      const owned = this.model === 'Grant' || !payload.grantId;
      const write: PayloadWrite = {
        model: this.model,
        id,
        payload: JSON.stringify(storedPayload(this.model, id, payload, true)),
        grantId,
        accountId: owned ? (payload.accountId ?? null) : null,
        clientId: owned ? (payload.clientId ?? null) : null,
        userCode: payload.userCode ?? null,
        uid: payload.uid ?? null,
        expiresAt,
      };
      const scope = currentRequestScope();
      if (scope && keepsAnnexes && this.model === sessionModel && write.uid)
        write.annex = scope.annexesOfDeletedSessions.get(write.uid);
      if (scope) scope.hold(write, writers);
      else await statements.upsertPayloads([write]);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') {
        const client = clients ? await clients.find(id) : await readClientRow(db, id);
        // A fresh object every time: oidc-provider may keep what it is given.
        return client ? clientMetadataFromRow(client) : undefined;
      }
      if (this.model === interactionModel) {
        const scope = currentRequestScope();
        // Saved or read by this request already: no statement.
        const held = scope?.heldInteraction(id);
        if (held) return restoredPayload(this.model, { id, payload: held.payload, grant_id: null });
        const known = scope?.knownInteractions.get(id);
        if (known) return restoredPayload(this.model, { ...known, grant_id: null });
        if (scope && requestOidc()?.route === 'resume') {
          // The resume endpoint's read: oidc-provider destroys the interaction right after it.
          const [taken] = rowsOf<PayloadRow>(await statements.takeInteraction(id, Date.now()));
          if (!taken) return undefined;
          scope.took(id, async () => {
            await statements.upsertInteraction(id, taken.payload, taken.expires_at);
          });
          return restoredPayload(this.model, { ...taken, grant_id: null });
        }
        const [row] = rowsOf<PayloadRow>(await statements.findInteraction(id, Date.now()));
        return row ? restoredPayload(this.model, { ...row, grant_id: null }) : undefined;
      }
      const scope = currentRequestScope();
      // Read by this request's claim of a code or refresh token of the grant: no statement.
      const known = scope?.knownPayloads.get(`${this.model}\u0000${id}`);
      if (known) return restoredPayload(this.model, known);
      await scope?.flush();
      if (scope && this.takenWithRead()) {
        // The token endpoint's read of its code or refresh token (see the file comment): taken now,
        // consumed once.
        const now = Date.now();
        const [claimed] = rowsOf<ClaimedRow>(await claim(now, this.model, id));
        if (claimed) {
          const taken = restoredPayload(this.model, claimed);
          // What oidc-provider reads next, answered by the same statement.
          if (claimed.grant_id && claimed.grant_payload !== null)
            scope.knownPayloads.set(`${grantModel}\u0000${claimed.grant_id}`, {
              id: claimed.grant_id,
              payload: claimed.grant_payload,
              grant_id: claimed.grant_id,
            });
          if (options.accountJson && claimed.grant_account_id !== null)
            scope.accountsRead.set(claimed.grant_account_id, claimed.account_json);
          // Presented by another client, whom oidc-provider refuses next: it stays its client's.
          const giveBack = async () => {
            await statements.release(this.model, id, now);
          };
          if (taken.clientId !== requestOidc()?.client?.clientId) await giveBack();
          else scope.claimed(this.model, id, giveBack);
          return taken;
        }
        // Unknown, expired, revoked or already consumed: the plain read tells oidc-provider which.
      }
      return this.found(await statements.findById(this.model, id, Date.now()));
    }

    /**
     * Whether this read is the token endpoint's, which consumes what it reads when it succeeds: every
     * authorization code it redeems, and every refresh token when refresh tokens always rotate and the
     * request asks for no narrower `scope` (the one check after the read that a client can fix and
     * try again with the same token).
     */
    private takenWithRead(): boolean {
      const oidc = requestOidc();
      if (oidc?.route !== 'token') return false;
      if (this.model === codeModel) return true;
      return (
        this.model === refreshTokenModel &&
        rotatesRefreshTokens &&
        oidc.params?.grant_type === 'refresh_token' &&
        !oidc.params?.scope
      );
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      await currentRequestScope()?.flush();
      return this.found(await statements.findByUserCode(this.model, userCode, Date.now()));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      await currentRequestScope()?.flush();
      return this.found(await statements.findByUid(this.model, uid, Date.now()));
    }

    async consume(id: string): Promise<void> {
      const scope = currentRequestScope();
      // Consumed when this request took it.
      if (scope?.consumedByClaim(this.model, id)) return;
      await scope?.flush();
      const updated = changesOf(await statements.consume(Date.now(), this.model, id));
      if (updated === 0) {
        // Lost a race with another redemption of the same code or refresh token: treat it as the reuse
        // it is and revoke everything issued from the grant, now and later.
        const row = await db('oidc_payloads').where({ model: this.model, id }).first('grant_id');
        if (row?.grant_id) await revokeGrant(db, String(row.grant_id));
        throw new errors.InvalidGrant(`${this.model} already consumed`);
      }
    }

    async destroy(id: string): Promise<void> {
      currentRequestScope()?.knownPayloads.delete(`${this.model}\u0000${id}`);
      if (this.model === interactionModel) {
        const scope = currentRequestScope();
        scope?.dropInteraction(id);
        // Taken by this request's read already: nothing left to delete.
        if (!scope?.settled(id)) await statements.destroyInteraction(id);
        return;
      }
      const scope = currentRequestScope();
      await scope?.flush();
      if (scope && keepsAnnexes && this.model === sessionModel) {
        // A session deleted in a request is often saved again under a new id in the same request.
        const [row] = rowsOf<{ uid: string | null; annex_key: string | null; annex: string | null }>(
          await statements.destroySessionKeepingAnnex(id),
        );
        if (row?.uid && row.annex_key !== null && row.annex !== null)
          scope.annexesOfDeletedSessions.set(row.uid, { key: row.annex_key, data: row.annex });
        return;
      }
      await statements.destroyPayload(this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const scope = currentRequestScope();
      scope?.knownPayloads.delete(`${grantModel}\u0000${grantId}`);
      await scope?.flush();
      await db('oidc_payloads').where({ model: this.model, grant_id: grantId }).delete();
    }

    /** The payload of a findBy row, unless there is none (unknown, expired or of a revoked grant). */
    private found(result: unknown): AdapterPayload | undefined {
      const [row] = rowsOf<PayloadRow>(result);
      if (!row) return undefined;
      const payload = restoredPayload(this.model, row);
      if (row.consumed_at) payload.consumed = Math.floor(row.consumed_at / 1000);
      return payload;
    }
  };
}

/**
 * Keeps `step` with interaction `id` (the broker's pending NHSmail sign-in): with the interaction's
 * write when this request holds one, so both are one statement, else by updating its row. Returns
 * false when no such interaction is stored. A step added later replaces an earlier one.
 */
export async function attachPendingStep(db: Knex, id: string, step: PendingStep): Promise<boolean> {
  const { statements, writers } = statementsFor(db);
  const scope = currentRequestScope();
  const held = scope?.heldInteraction(id);
  if (scope && held) {
    scope.holdInteraction({ ...held, pending: step }, writers);
    return true;
  }
  return changesOf(await statements.attachPending(step.key, step.data, id)) > 0;
}

/**
 * Takes interaction `id`'s pending step when `key` is its key, once: one UPDATE … RETURNING clears
 * the key and answers the step's data with the interaction, which the rest of the request then reads
 * without another statement. Undefined when the key is not the step's (unknown, taken or replaced)
 * or the interaction is gone or expired.
 */
export async function takePendingStep(db: Knex, id: string, key: string): Promise<string | undefined> {
  const { statements } = statementsFor(db);
  const [row] = rowsOf<KnownInteraction & { pending_data: string | null }>(
    await statements.takePending(id, key, Date.now()),
  );
  if (!row || row.pending_data === null) return undefined;
  currentRequestScope()?.knownInteractions.set(id, {
    id: row.id,
    payload: row.payload,
    expires_at: row.expires_at,
  });
  return row.pending_data;
}

/**
 * Keeps `annex` with the payload row `model`/`id` (the broker: a session's NHSmail session): with its
 * write when this request holds one, so both are one statement, else by updating its row. The annex
 * stays when oidc-provider saves the payload again, and goes with the row. Returns false when no such
 * row is stored. The table needs the annex columns, which only services that use them add.
 */
export async function attachAnnex(db: Knex, model: string, id: string, annex: Annex): Promise<boolean> {
  const { statements, writers } = statementsFor(db);
  const scope = currentRequestScope();
  const held = scope?.heldPayload(model, id);
  if (scope && held) {
    scope.hold({ ...held, annex }, writers);
    return true;
  }
  return changesOf(await statements.attachAnnex(annex.key, annex.data, model, id)) > 0;
}

/** oidc-provider's part of the request being handled, if any (requestScope.ts). */
function requestOidc(): RequestContext['oidc'] {
  return currentRequestScope()?.context.oidc;
}

/**
 * The payload as stored: without what the row already holds. `jti` is the row's id and `kind` its
 * model (oidc-provider saves every model under its `jti`, lib/models/base_model.js), and a code's or
 * token's `grantId` and a session's `uid` are the grant_id and uid columns where the table has them;
 * restoredPayload puts them back on every read. Rows written before this still carry them, and read
 * the same.
 */
function storedPayload(
  model: string,
  id: string,
  payload: AdapterPayload,
  ownerColumns: boolean,
): Record<string, unknown> {
  const names = shortKeysFor(model) ? shortKeys : undefined;
  const source = payload as Record<string, unknown>;
  // Built in one pass, leaving fields out rather than deleting them: an object that had a property
  // deleted is slower to read and to turn into JSON.
  const stored: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (key === 'jti' && value === id) continue;
    if (key === 'kind' && value === model) continue;
    if (ownerColumns && typeof value === 'string') {
      if (key === 'grantId' && model !== 'Grant') continue;
      if (key === 'uid') continue;
    }
    stored[names?.[key] ?? key] = value;
  }
  return stored;
}

/**
 * Codes and tokens are most of the rows (two more per refresh grant): their longest field names are
 * stored under short aliases, about 50-90 bytes less a row. `~` never starts a field oidc-provider
 * writes, so an alias cannot meet a real name, and rows written without aliases read the same.
 * Sessions and grants keep their names: broker/logout/sessions.ts and the mock read them as stored.
 */
const shortKeys: Readonly<Record<string, string>> = {
  accountId: '~a',
  clientId: '~c',
  sessionUid: '~u',
  expiresWithSession: '~w',
  authTime: '~t',
  rotations: '~r',
  codeChallenge: '~cc',
  codeChallengeMethod: '~cm',
  redirectUri: '~ru',
};
const longKeys: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(shortKeys).map(([long, short]) => [short, long]),
);

function shortKeysFor(model: string): boolean {
  return model !== 'Session' && model !== 'Grant' && model !== interactionModel;
}

function renameKeys(payload: Record<string, unknown>, names: Readonly<Record<string, string>>) {
  const renamed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) renamed[names[key] ?? key] = value;
  return renamed;
}

function restoredPayload(
  model: string,
  row: Pick<PayloadRow, 'id' | 'payload' | 'grant_id'> & { uid?: string | null },
): AdapterPayload {
  const parsed = JSON.parse(row.payload) as Record<string, unknown>;
  const payload = (shortKeysFor(model) ? renameKeys(parsed, longKeys) : parsed) as AdapterPayload;
  payload.jti ??= row.id;
  payload.kind ??= model;
  if (model !== 'Grant' && row.grant_id) payload.grantId ??= row.grant_id;
  if (row.uid) payload.uid ??= row.uid;
  return payload;
}

/** A claim's row (claimStatement): the code or token, its grant's payload and its account's JSON. */
interface ClaimedRow extends PayloadRow {
  grant_payload: string | null;
  grant_account_id: string | null;
  account_json: string | null;
}

interface PayloadRow {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  uid?: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

/**
 * Revokes a grant for good: the marker first, so that a payload stored at the same moment is refused
 * on read even if this delete misses it, then every row of the grant.
 */
export async function revokeGrant(db: Knex, grantId: string): Promise<void> {
  const grant = await db<PayloadRow>('oidc_payloads')
    .where({ model: 'Grant', id: grantId })
    .first('expires_at');
  const expiresAt = grant?.expires_at ?? Date.now() + revokedGrantFallbackMs;
  await db('oidc_payloads')
    .insert({ model: revokedGrantModel, id: grantId, payload: '{}', expires_at: expiresAt })
    .onConflict(['model', 'id'])
    .ignore();
  await db('oidc_payloads').where({ grant_id: grantId }).delete();
}

/** Deletes expired payloads and interactions; services call this on a timer so neither table grows forever. */
export async function deleteExpiredPayloads(db: Knex): Promise<number> {
  const now = Date.now();
  let deleted = 0;
  for (const table of ['oidc_payloads', 'oidc_interactions'])
    deleted += await db(table).whereNotNull('expires_at').andWhere('expires_at', '<=', now).delete();
  return deleted;
}

/**
 * The account that this request's claim of a code or refresh token read with it (AccountJsonQuery):
 * the service's JSON text, null when the grant's account is gone, undefined when the request read no
 * account `accountId` that way (then the service reads it itself).
 */
export function accountReadWithClaim(accountId: string): string | null | undefined {
  return currentRequestScope()?.accountsRead.get(accountId);
}
