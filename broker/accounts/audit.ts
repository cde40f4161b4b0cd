// The audit trail: every sign-in decision, with the correlation id the user's page shows, kept in the
// database. Emails are stored as a keyed hash so that the help desk can search by email.
import { createHmac, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { preparedQuery } from '../../shared/preparedQuery.ts';
import { normaliseEmail } from './accountStore.ts';

export interface AuditEvent {
  /** `client` and `signing_key` record administrators' changes to client registrations and keys. */
  event: 'sign_in' | 'account' | 'logout' | 'client' | 'signing_key' | 'cookie_key';
  /** `success`, or the refusal's reason code (e.g. `no_account`, `account_suspended`). */
  outcome: string;
  correlationId: string;
  clientId?: string | undefined;
  accountId?: string | undefined;
  email?: string | undefined;
  upstreamOid?: string | undefined;
  detail?: string | undefined;
}

export interface StoredAuditEvent {
  id: number;
  at: string;
  event: string;
  outcome: string;
  correlationId: string;
  clientId: string | null;
  accountId: string | null;
  emailHash: string | null;
  upstreamOid: string | null;
  detail: string | null;
}

interface AuditRow {
  id: number;
  at: number;
  event: string;
  outcome: string;
  correlation_id: string;
  client_id: string | null;
  account_id: string | null;
  email_hash: string | null;
  upstream_oid: string | null;
  detail: string | null;
}

/** An audit_events row in the order the prepared insert takes it. */
type AuditInsert = [
  at: number,
  event: string,
  outcome: string,
  correlationId: string,
  clientId: string | null,
  accountId: string | null,
  emailHash: string | null,
  upstreamOid: string | null,
  detail: string | null,
];

export class AuditLog {
  readonly db: Knex;
  private key: Promise<string> | undefined;
  private readonly onRecorded: ((event: AuditEvent) => void) | undefined;
  /** Every sign-in writes an event: the insert is built once (shared/preparedQuery.ts). */
  private readonly insert: (...row: AuditInsert) => Promise<unknown>;

  /** `onRecorded` sees every event once it is stored (the broker counts sign-in outcomes with it). */
  constructor(db: Knex, onRecorded?: (event: AuditEvent) => void) {
    this.db = db;
    this.onRecorded = onRecorded;
    this.insert = preparedQuery<AuditInsert>(
      db,
      9,
      (at, event, outcome, correlationId, clientId, accountId, emailHash, upstreamOid, detail) =>
        db('audit_events').insert({
          at,
          event,
          outcome,
          correlation_id: correlationId,
          client_id: clientId,
          account_id: accountId,
          email_hash: emailHash,
          upstream_oid: upstreamOid,
          detail,
        }),
    );
  }

  /** The HMAC key, generated once per deployment and shared by every instance. */
  private auditKey(): Promise<string> {
    this.key ??= (async () => {
      await this.db('broker_secrets')
        .insert({ name: 'audit_email_key', value: randomBytes(32).toString('base64url') })
        .onConflict('name')
        .ignore();
      const row = await this.db('broker_secrets').where({ name: 'audit_email_key' }).first();
      return String(row.value);
    })();
    return this.key;
  }

  async hashEmail(email: string): Promise<string> {
    return createHmac('sha256', await this.auditKey())
      .update(normaliseEmail(email))
      .digest('hex');
  }

  async record(event: AuditEvent): Promise<void> {
    await this.insert(
      Date.now(),
      event.event,
      event.outcome,
      event.correlationId,
      event.clientId ?? null,
      event.accountId ?? null,
      event.email ? await this.hashEmail(event.email) : null,
      event.upstreamOid ?? null,
      event.detail ?? null,
    );
    this.onRecorded?.(event);
  }

  async recent(filter: {
    limit: number;
    email?: string;
    event?: string;
    outcome?: string;
    correlationId?: string;
  }): Promise<StoredAuditEvent[]> {
    const query = this.db<AuditRow>('audit_events').orderBy('id', 'desc').limit(filter.limit);
    if (filter.email) query.where({ email_hash: await this.hashEmail(filter.email) });
    if (filter.event) query.where({ event: filter.event });
    if (filter.outcome) query.where({ outcome: filter.outcome });
    if (filter.correlationId) query.where({ correlation_id: filter.correlationId });
    return (await query).map((row) => ({
      id: row.id,
      at: new Date(row.at).toISOString(),
      event: row.event,
      outcome: row.outcome,
      correlationId: row.correlation_id,
      clientId: row.client_id,
      accountId: row.account_id,
      emailHash: row.email_hash,
      upstreamOid: row.upstream_oid,
      detail: row.detail,
    }));
  }
}
