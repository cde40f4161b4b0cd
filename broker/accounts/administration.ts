// Administrators' changes to CQRS accounts (the CLI's account commands and CSV import). Each change is
// one transaction together with its audit event, and suspending an account ends its sessions, grants
// and tokens at once rather than when they expire.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { ConflictError, NotFoundError } from '../../shared/errors.ts';
import { revokeAccountTokens } from '../issuer/revocation.ts';
import { queueAccountLogouts } from '../logout/sessions.ts';
import { AccountStore, type CqrsAccount, type NewAccount, normaliseEmail } from './accountStore.ts';
import { AuditLog } from './audit.ts';

export class AccountNotFoundError extends NotFoundError {
  override name = 'AccountNotFoundError';
  constructor(email: string) {
    super(`no CQRS account for ${normaliseEmail(email)}`, 'account_not_found');
  }
}

export class AccountLinkError extends ConflictError {
  override name = 'AccountLinkError';
  constructor(message: string) {
    super(message, 'account_link_conflict');
  }
}

export type ImportOutcome = 'created' | 'updated' | 'unchanged';

/** Organisations compared regardless of the order they were listed in. */
function sameContent(account: CqrsAccount, input: NewAccount): boolean {
  const sorted = (organisations: NewAccount['organisations']) =>
    JSON.stringify(
      [...organisations]
        .sort((a, b) => a.odsCode.localeCompare(b.odsCode))
        .map(({ odsCode, name, type, roles }) => [odsCode, name, type, roles]),
    );
  return (
    account.givenName === input.givenName &&
    account.familyName === input.familyName &&
    (input.status === undefined || account.status === input.status) &&
    sorted(account.organisations) === sorted(input.organisations)
  );
}

export class AccountAdministration {
  readonly db: Knex;
  /** Who is making the changes, written into each audit event's detail (e.g. `alice via cqrs-broker CLI`). */
  readonly actor: string;

  constructor(db: Knex, actor: string) {
    this.db = db;
    this.actor = actor;
  }

  private async change<T>(
    email: string,
    work: (
      account: CqrsAccount,
      trx: Knex.Transaction,
      audit: (outcome: string, note?: string) => Promise<void>,
      correlationId: string,
    ) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction(async (trx) => {
      const account = await new AccountStore(trx).findByEmail(email);
      if (!account) throw new AccountNotFoundError(email);
      const correlationId = randomUUID();
      const audit = (outcome: string, note?: string) =>
        new AuditLog(trx).record({
          event: 'account',
          outcome,
          correlationId,
          accountId: account.id,
          email: account.email,
          detail: note ? `${note}; by ${this.actor}` : `by ${this.actor}`,
        });
      return work(account, trx, audit, correlationId);
    });
  }

  async find(email: string): Promise<CqrsAccount> {
    const account = await new AccountStore(this.db).findByEmail(email);
    if (!account) throw new AccountNotFoundError(email);
    return account;
  }

  /** Creates an account; throws AccountExistsError when the email is taken. */
  async create(input: NewAccount): Promise<CqrsAccount> {
    return this.db.transaction(async (trx) => {
      const account = await new AccountStore(trx).create(input, trx);
      await this.recordChange(trx, account, 'created');
      return account;
    });
  }

  private async recordChange(
    trx: Knex,
    account: CqrsAccount,
    outcome: string,
    note?: string,
    correlationId = randomUUID(),
  ): Promise<void> {
    await new AuditLog(trx).record({
      event: 'account',
      outcome,
      correlationId,
      accountId: account.id,
      email: account.email,
      detail: `${note ? `${note}; ` : ''}status ${account.status}; by ${this.actor}`,
    });
  }

  /** Suspends the account and ends every session, grant and token it holds (even if already suspended). */
  async suspend(email: string): Promise<{ account: CqrsAccount; wasActive: boolean; endedTokens: number }> {
    return this.change(email, async (account, trx, audit, correlationId) => {
      const wasActive = account.status === 'active';
      if (wasActive) await new AccountStore(trx).setStatus(account.id, 'suspended');
      // Written with the suspension: running broker instances tell the apps (broker/logout/delivery.ts).
      await queueAccountLogouts(trx, account.id, correlationId);
      const endedTokens = await revokeAccountTokens(trx, account.id);
      await audit(
        'suspended',
        `${wasActive ? '' : 'already suspended; '}${endedTokens} sessions, grants and tokens ended`,
      );
      return { account: { ...account, status: 'suspended' }, wasActive, endedTokens };
    });
  }

  async activate(email: string): Promise<{ account: CqrsAccount; wasSuspended: boolean }> {
    return this.change(email, async (account, trx, audit) => {
      if (account.status === 'active') return { account, wasSuspended: false };
      await new AccountStore(trx).setStatus(account.id, 'active');
      await audit('activated');
      return { account: { ...account, status: 'active' }, wasSuspended: true };
    });
  }

  /** Links the account to an NHSmail identity by hand (e.g. after an NHSmail account was re-created). */
  async link(email: string, tenantId: string, objectId: string): Promise<CqrsAccount> {
    return this.change(email, async (account, trx, audit) => {
      if (account.upstreamOid !== null)
        throw new AccountLinkError(`${account.email} is already linked; unlink it first`);
      const holder = await new AccountStore(trx).findByLink(tenantId, objectId);
      if (holder) throw new AccountLinkError(`that NHSmail identity is already linked to ${holder.email}`);
      await new AccountStore(trx).link(account.id, tenantId, objectId);
      await audit('linked', `tenant ${tenantId}, object ${objectId}`);
      return { ...account, upstreamTid: tenantId, upstreamOid: objectId };
    });
  }

  /** Clears the NHSmail link, so that the next sign-in with the account's email links again. */
  async unlink(email: string): Promise<{ account: CqrsAccount; wasLinked: boolean }> {
    return this.change(email, async (account, trx, audit) => {
      if (account.upstreamOid === null) return { account, wasLinked: false };
      await new AccountStore(trx).unlink(account.id);
      await audit('unlinked', `was tenant ${account.upstreamTid}, object ${account.upstreamOid}`);
      return {
        account: { ...account, upstreamTid: null, upstreamOid: null, linkedAt: null },
        wasLinked: true,
      };
    });
  }

  /**
   * Creates or updates one imported account in its own transaction. A row that suspends an active
   * account ends its tokens, exactly as `suspend` does; an identical row writes nothing.
   */
  async importAccount(
    input: NewAccount,
    source: string,
  ): Promise<{ account: CqrsAccount; outcome: ImportOutcome; endedTokens: number }> {
    return this.db.transaction(async (trx) => {
      const correlationId = randomUUID();
      const store = new AccountStore(trx);
      const existing = await store.findByEmail(input.email);
      if (existing && sameContent(existing, input))
        return { account: existing, outcome: 'unchanged', endedTokens: 0 };
      const { account, created } = await store.upsert(input, trx);
      let endedTokens = 0;
      if (existing?.status === 'active' && account.status === 'suspended') {
        await queueAccountLogouts(trx, account.id, correlationId);
        endedTokens = await revokeAccountTokens(trx, account.id);
      }
      const note = `imported from ${source}${endedTokens > 0 ? `; ${endedTokens} sessions, grants and tokens ended` : ''}`;
      // A status change is audited as such, so that searching for suspensions finds imported ones too.
      let auditOutcome = created ? 'created' : 'updated';
      if (existing && existing.status !== account.status)
        auditOutcome = account.status === 'suspended' ? 'suspended' : 'activated';
      await this.recordChange(trx, account, auditOutcome, note, correlationId);
      return { account, outcome: created ? 'created' : 'updated', endedTokens };
    });
  }
}
