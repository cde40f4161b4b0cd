// The mock NHSmail directory: accounts by case-insensitive user ID, with their state and lockout.
import { randomInt, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { isPostgres } from '../../shared/database.ts';
import { hashPassword } from './passwords.ts';

export const accountStates = ['active', 'locked', 'disabled', 'password_expired'] as const;
export type AccountState = (typeof accountStates)[number];

export interface NhsmailAccount {
  email: string;
  oid: string;
  givenName: string;
  familyName: string;
  state: AccountState;
  mfaRequired: boolean;
  mfaCode: string;
  failedAttempts: number;
  lockedUntil: number | null;
}

export interface AccountRow {
  email: string;
  oid: string;
  given_name: string;
  family_name: string;
  password_hash: string;
  state: AccountState;
  mfa_required: boolean | number;
  mfa_code: string;
  failed_attempts: number;
  locked_until: number | null;
}

/** What an id_token or userinfo says of an account, and the columns that hold it. */
export type ClaimsField = 'oid' | 'email' | 'givenName' | 'familyName';
const claimsColumns = ['oid', 'email', 'given_name', 'family_name'] as const;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function toAccount(row: AccountRow): NhsmailAccount {
  return {
    email: row.email,
    oid: row.oid,
    givenName: row.given_name,
    familyName: row.family_name,
    state: row.state,
    mfaRequired: Boolean(row.mfa_required),
    mfaCode: row.mfa_code,
    failedAttempts: row.failed_attempts,
    lockedUntil: row.locked_until,
  };
}

/** Whether the account is locked now: by state, or by a lockout that has not yet run out. */
export function isLocked(account: Pick<NhsmailAccount, 'state' | 'lockedUntil'>, at = Date.now()): boolean {
  return account.state === 'locked' || (account.lockedUntil !== null && account.lockedUntil > at);
}

export function newMfaCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

export class AccountStore {
  readonly db: Knex;

  constructor(db: Knex) {
    this.db = db;
  }

  async findRowByEmail(email: string): Promise<AccountRow | undefined> {
    return this.db<AccountRow>('nhsmail_accounts')
      .where({ email: normaliseEmail(email) })
      .first();
  }

  async findByEmail(email: string): Promise<NhsmailAccount | undefined> {
    const row = await this.findRowByEmail(email);
    return row ? toAccount(row) : undefined;
  }

  async findByOid(oid: string): Promise<NhsmailAccount | undefined> {
    const row = await this.db<AccountRow>('nhsmail_accounts').where({ oid }).first();
    return row ? toAccount(row) : undefined;
  }

  /**
   * The account whose oid is the SQL expression `oidSql`, as one JSON text of its row: the token
   * endpoint reads it with the code (shared/oidc/knexAdapter.ts AccountJsonQuery). `fromJson` reads
   * it back.
   */
  readonly accountJson = (oidSql: string): string => {
    const columns = claimsColumns.map((column) => `'${column}', n.${column}`).join(', ');
    const object = isPostgres(this.db) ? `json_build_object(${columns})::text` : `json_object(${columns})`;
    return `(select ${object} from nhsmail_accounts n where n.oid = ${oidSql})`;
  };

  /** An account as `accountJson` reads it (the columns its claims need). */
  fromJson(json: string): Pick<NhsmailAccount, ClaimsField> {
    const row = JSON.parse(json) as Pick<AccountRow, (typeof claimsColumns)[number]>;
    return { oid: row.oid, email: row.email, givenName: row.given_name, familyName: row.family_name };
  }

  async list(): Promise<NhsmailAccount[]> {
    const rows = await this.db<AccountRow>('nhsmail_accounts').orderBy('email');
    return rows.map(toAccount);
  }

  /** Creates or replaces an account (seeds, control API). */
  async put(input: {
    email: string;
    password: string;
    givenName: string;
    familyName: string;
    state?: AccountState;
    mfaRequired?: boolean;
    mfaCode?: string;
    oid?: string;
  }): Promise<NhsmailAccount> {
    const email = normaliseEmail(input.email);
    const timestamp = Date.now();
    const existing = await this.findRowByEmail(email);
    const row = {
      email,
      oid: input.oid ?? existing?.oid ?? randomUUID(),
      given_name: input.givenName,
      family_name: input.familyName,
      password_hash: await hashPassword(input.password),
      state: input.state ?? 'active',
      mfa_required: input.mfaRequired ?? false,
      mfa_code: input.mfaCode ?? existing?.mfa_code ?? newMfaCode(),
      failed_attempts: 0,
      locked_until: null,
      created_at: timestamp,
      updated_at: timestamp,
    };
    await this.db('nhsmail_accounts')
      .insert(row)
      .onConflict('email')
      .merge(Object.keys(row).filter((key) => key !== 'created_at'));
    const saved = await this.findByEmail(email);
    if (!saved) throw new Error('account vanished after write');
    return saved;
  }

  async update(
    email: string,
    changes: Partial<{
      givenName: string;
      familyName: string;
      state: AccountState;
      mfaRequired: boolean;
      password: string;
    }>,
  ): Promise<NhsmailAccount | undefined> {
    const patch: Record<string, unknown> = { updated_at: Date.now() };
    if (changes.givenName !== undefined) patch.given_name = changes.givenName;
    if (changes.familyName !== undefined) patch.family_name = changes.familyName;
    if (changes.state !== undefined) patch.state = changes.state;
    if (changes.mfaRequired !== undefined) patch.mfa_required = changes.mfaRequired;
    if (changes.password !== undefined) patch.password_hash = await hashPassword(changes.password);
    if (changes.state === 'active') {
      patch.failed_attempts = 0;
      patch.locked_until = null;
    }
    const updated = await this.db('nhsmail_accounts')
      .where({ email: normaliseEmail(email) })
      .update(patch);
    return updated > 0 ? this.findByEmail(email) : undefined;
  }

  async remove(email: string): Promise<boolean> {
    return (
      (await this.db('nhsmail_accounts')
        .where({ email: normaliseEmail(email) })
        .delete()) > 0
    );
  }
}
