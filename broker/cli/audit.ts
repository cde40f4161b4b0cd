// `cqrs-broker audit`: recent audit events for the help desk, newest first. A user's email finds their
// events through its keyed hash (emails are not stored in the trail); the correlation id is the one
// the user's error page shows.
import type { Command } from 'commander';
import { AccountStore } from '../accounts/accountStore.ts';
import { AuditLog } from '../accounts/audit.ts';
import { integerBetween, withBroker } from './context.ts';
import { printJson, printTable } from './output.ts';

interface AuditOptions {
  email?: string;
  event?: string;
  outcome?: string;
  correlationId?: string;
  limit: number;
  json?: boolean;
}

export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description(
      'recent audit events: sign-in decisions, sign-outs and logout deliveries to apps, administrators’ changes; newest first',
    )
    .option('--email <email>', "only this user's events")
    .option('--event <event>', 'only this kind of event: sign_in, account, logout, client, signing_key')
    .option(
      '--outcome <outcome>',
      'only this outcome, e.g. success, no_account, account_suspended, suspended, delivered, delivery_failed',
    )
    .option('--correlation-id <id>', 'only the events of this correlation id (shown on error pages)')
    .option('--limit <n>', 'at most this many events', integerBetween(1, 10_000), 50)
    .option('--json', 'print JSON')
    .action(async (options: AuditOptions) => {
      await withBroker(async ({ db }) => {
        const events = await new AuditLog(db).recent({
          limit: options.limit,
          ...(options.email ? { email: options.email } : {}),
          ...(options.event ? { event: options.event } : {}),
          ...(options.outcome ? { outcome: options.outcome } : {}),
          ...(options.correlationId ? { correlationId: options.correlationId } : {}),
        });
        // Show the account's email where the account still exists: the id alone means nothing to a person.
        const ids = [...new Set(events.flatMap((event) => (event.accountId ? [event.accountId] : [])))];
        const emails = new Map<string, string>();
        const store = new AccountStore(db);
        for (const id of ids) {
          const account = await store.findById(id);
          if (account) emails.set(id, account.email);
        }
        if (options.json)
          return printJson(
            events.map(({ emailHash: _hash, ...event }) => ({
              ...event,
              accountEmail: event.accountId ? (emails.get(event.accountId) ?? null) : null,
            })),
          );
        printTable(
          ['Time', 'Event', 'Outcome', 'Client', 'Account', 'Correlation id', 'Detail'],
          events.map((event) => [
            event.at.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z'),
            event.event,
            event.outcome,
            event.clientId ?? '-',
            event.accountId ? (emails.get(event.accountId) ?? event.accountId) : '-',
            event.correlationId,
            event.detail ?? '',
          ]),
          'No audit events match.',
        );
      });
    });
}
