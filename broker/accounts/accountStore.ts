// CQRS accounts: who may sign in, their organisations and roles, and the NHSmail identity each is
// linked to after the first sign-in.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { isPostgres } from '../../shared/database.ts';
import { ConflictError } from '../../shared/errors.ts';
import { preparedQuery, rowsOf } from '../../shared/preparedQuery.ts';

export type AccountStatus = 'active' | 'suspended';
export const accountStatuses: readonly AccountStatus[] = ['active', 'suspended'];

export interface Organisation {
  odsCode: string;
  name: string;
  type: string;
  roles: string[];
}

export interface CqrsAccount {
  id: string;
  email: string;
  givenName: string;
  familyName: string;
  status: AccountStatus;
  upstreamTid: string | null;
  upstreamOid: string | null;
  linkedAt: number | null;
  organisations: Organisation[];
}

interface AccountRow {
  id: string;
  email: string;
  given_name: string;
  family_name: string;
  status: AccountStatus;
  upstream_tid: string | null;
  upstream_oid: string | null;
  linked_at: number | null;
}

const accountColumns = [
  'id',
  'email',
  'given_name',
  'family_name',
  'status',
  'upstream_tid',
  'upstream_oid',
  'linked_at',
] as const satisfies readonly (keyof AccountRow)[];

/** An account row with its organisations as one JSON array: text on SQLite, parsed on PostgreSQL. */
type AccountWithOrganisationsRow = AccountRow & { organisations_json: unknown };

function accountWithOrganisations(row: AccountWithOrganisationsRow): CqrsAccount {
  const json = row.organisations_json;
  const organisations = (typeof json === 'string' ? JSON.parse(json) : (json ?? [])) as Organisation[];
  return { ...toAccount(row), organisations };
}

interface OrganisationRow {
  account_id: string;
  ods_code: string;
  name: string;
  type: string;
  roles: string;
}

export interface NewAccount {
  id?: string;
  email: string;
  givenName: string;
  familyName: string;
  status?: AccountStatus;
  organisations: Organisation[];
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function toAccount(row: AccountRow): Omit<CqrsAccount, 'organisations'> {
  return {
    id: row.id,
    email: row.email,
    givenName: row.given_name,
    familyName: row.family_name,
    status: row.status,
    upstreamTid: row.upstream_tid,
    upstreamOid: row.upstream_oid,
    linkedAt: row.linked_at,
  };
}

export class AccountExistsError extends ConflictError {
  override name = 'AccountExistsError';
  constructor(message: string) {
    super(message, 'account_exists');
  }
}

/** The columns an account is read by: its id, its email, or its link to an NHSmail identity. */
type AccountKey = 'id' | 'email' | 'upstream_tid' | 'upstream_oid';

export class AccountStore {
  readonly db: Knex;
  /** The reads of one account, by the columns they match, each built once (shared/preparedQuery.ts). */
  private readonly reads = new Map<string, (...values: string[]) => Promise<unknown>>();

  constructor(db: Knex) {
    this.db = db;
  }

  private async withOrganisations(rows: AccountRow[]): Promise<CqrsAccount[]> {
    if (rows.length === 0) return [];
    const organisations = await this.db<OrganisationRow>('account_organisations')
      .whereIn(
        'account_id',
        rows.map((row) => row.id),
      )
      .orderBy('ods_code');
    return rows.map((row) => ({
      ...toAccount(row),
      organisations: organisations
        .filter((organisation) => organisation.account_id === row.id)
        .map((organisation) => ({
          odsCode: organisation.ods_code,
          name: organisation.name,
          type: organisation.type,
          roles: JSON.parse(organisation.roles) as string[],
        })),
    }));
  }

  /** One account with its organisations in one statement: every sign-in reads its account. */
  private async one(where: Partial<Record<AccountKey, string>>): Promise<CqrsAccount | undefined> {
    const columns = Object.keys(where) as AccountKey[];
    const shape = columns.join(',');
    let read = this.reads.get(shape);
    if (!read) {
      read = preparedQuery<string[]>(this.db, columns.length, (...values) =>
        this.db('accounts')
          .select('accounts.*', this.db.raw(`${this.organisationsJson('accounts')} as organisations_json`))
          .where(Object.fromEntries(columns.map((column, index) => [column, values[index]])))
          .first(),
      );
      this.reads.set(shape, read);
    }
    const [row] = rowsOf<AccountWithOrganisationsRow>(
      await read(...columns.map((column) => where[column] as string)),
    );
    return row ? accountWithOrganisations(row) : undefined;
  }

  /**
   * The account whose id is the SQL expression `idSql`, with its organisations, as one JSON text:
   * the token endpoint reads it with the code or refresh token (shared/oidc/knexAdapter.ts
   * AccountJsonQuery). `fromJson` reads it back.
   */
  readonly accountJson = (idSql: string): string => {
    const columns = accountColumns.map((column) => `'${column}', a.${column}`).join(', ');
    const organisations = this.organisationsJson('a');
    if (isPostgres(this.db))
      return `(select json_build_object(${columns}, 'organisations_json', ${organisations})::text
        from accounts a where a.id = ${idSql})`;
    return `(select json_object(${columns}, 'organisations_json', json(${organisations}))
      from accounts a where a.id = ${idSql})`;
  };

  /** An account as `accountJson` reads it. */
  fromJson(json: string): CqrsAccount {
    return accountWithOrganisations(JSON.parse(json) as AccountWithOrganisationsRow);
  }

  /**
   * The organisations of the account row `alias` as a JSON array, ordered by ODS code, in each
   * backend's dialect: a scalar subquery.
   */
  private organisationsJson(alias: string): string {
    if (isPostgres(this.db)) {
      return `(select coalesce(json_agg(json_build_object('odsCode', o.ods_code, 'name', o.name, 'type', o.type,
          'roles', o.roles::json) order by o.ods_code), '[]'::json)
          from account_organisations o where o.account_id = ${alias}.id)`;
    }
    return `(select json_group_array(json_object('odsCode', o.ods_code, 'name', o.name, 'type', o.type,
        'roles', json(o.roles)))
        from (select * from account_organisations where account_id = ${alias}.id order by ods_code) o)`;
  }

  findById(id: string): Promise<CqrsAccount | undefined> {
    return this.one({ id });
  }

  findByEmail(email: string): Promise<CqrsAccount | undefined> {
    return this.one({ email: normaliseEmail(email) });
  }

  findByLink(tenantId: string, objectId: string): Promise<CqrsAccount | undefined> {
    return this.one({ upstream_tid: tenantId, upstream_oid: objectId });
  }

  async list(filter: { status?: AccountStatus } = {}): Promise<CqrsAccount[]> {
    const query = this.db<AccountRow>('accounts').orderBy('email');
    if (filter.status) query.where({ status: filter.status });
    return this.withOrganisations(await query);
  }

  /** Creates an account; throws AccountExistsError when the email is taken. */
  async create(input: NewAccount, trx: Knex = this.db): Promise<CqrsAccount> {
    const email = normaliseEmail(input.email);
    const existing = await trx('accounts').where({ email }).first();
    if (existing) throw new AccountExistsError(`an account for ${email} already exists`);
    const id = input.id ?? randomUUID();
    const timestamp = Date.now();
    await trx('accounts').insert({
      id,
      email,
      given_name: input.givenName,
      family_name: input.familyName,
      status: input.status ?? 'active',
      created_at: timestamp,
      updated_at: timestamp,
    });
    await this.replaceOrganisations(id, input.organisations, trx);
    const created = await new AccountStore(trx).findById(id);
    if (!created) throw new Error('account vanished after insert');
    return created;
  }

  /** Creates or updates by email (seeds and CSV import): keeps the id and the link. */
  async upsert(input: NewAccount, trx: Knex = this.db): Promise<{ account: CqrsAccount; created: boolean }> {
    const email = normaliseEmail(input.email);
    const existing = await trx<AccountRow>('accounts').where({ email }).first();
    if (!existing) return { account: await this.create(input, trx), created: true };
    await trx('accounts')
      .where({ id: existing.id })
      .update({
        given_name: input.givenName,
        family_name: input.familyName,
        status: input.status ?? existing.status,
        updated_at: Date.now(),
      });
    await this.replaceOrganisations(existing.id, input.organisations, trx);
    const account = await new AccountStore(trx).findById(existing.id);
    if (!account) throw new Error('account vanished after update');
    return { account, created: false };
  }

  async replaceOrganisations(
    accountId: string,
    organisations: Organisation[],
    trx: Knex = this.db,
  ): Promise<void> {
    await trx('account_organisations').where({ account_id: accountId }).delete();
    if (organisations.length === 0) return;
    await trx('account_organisations').insert(
      organisations.map((organisation) => ({
        account_id: accountId,
        ods_code: organisation.odsCode,
        name: organisation.name,
        type: organisation.type,
        roles: JSON.stringify(organisation.roles),
      })),
    );
  }

  async setStatus(id: string, status: AccountStatus): Promise<boolean> {
    return (await this.db('accounts').where({ id }).update({ status, updated_at: Date.now() })) > 0;
  }

  /**
   * Links the account to an NHSmail identity, only if it is not linked yet. Returns false when another
   * request linked it first.
   */
  async link(id: string, tenantId: string, objectId: string): Promise<boolean> {
    const timestamp = Date.now();
    const updated = await this.db('accounts').where({ id }).whereNull('upstream_oid').update({
      upstream_tid: tenantId,
      upstream_oid: objectId,
      linked_at: timestamp,
      updated_at: timestamp,
    });
    return updated > 0;
  }

  async unlink(id: string): Promise<boolean> {
    const updated = await this.db('accounts')
      .where({ id })
      .update({ upstream_tid: null, upstream_oid: null, linked_at: null, updated_at: Date.now() });
    return updated > 0;
  }
}
