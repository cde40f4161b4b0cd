// `cqrs-broker keys …`: the broker's token signing keys. Rotation keeps the previous key published for a
// while so that tokens it signed still verify; each broker instance loads keys when it starts.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { listSigningKeys, rotateSigningKey, type SigningKey } from '../../shared/oidc/keyStore.ts';
import { AuditLog } from '../accounts/audit.ts';
import { numberBetween, withBroker } from './context.ts';
import { formatTime, isoTime, note, print, printJson, printTable } from './output.ts';

type KeyState = 'signing' | 'published' | 'expired';

function keyState(key: SigningKey, now: number): KeyState {
  if (key.retiredAt === null) return 'signing';
  return key.expiresAt !== null && key.expiresAt <= now ? 'expired' : 'published';
}

function describeState(key: SigningKey, now: number): string {
  const state = keyState(key, now);
  if (state === 'signing') return 'signing';
  if (state === 'published')
    return `retired ${formatTime(key.retiredAt)}; published until ${formatTime(key.expiresAt)}`;
  return `retired ${formatTime(key.retiredAt)}; expired ${formatTime(key.expiresAt)}`;
}

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('signing keys of the tokens the broker issues');

  keys
    .command('list')
    .description('list signing keys, newest first')
    .option('--json', 'print JSON (public facts only, never key material)')
    .action(async (options: { json?: boolean }) => {
      await withBroker(async ({ db }) => {
        const list = await listSigningKeys(db);
        const now = Date.now();
        if (options.json)
          return printJson(
            list.map((key) => ({
              kid: key.kid,
              alg: key.alg,
              state: keyState(key, now),
              createdAt: isoTime(key.createdAt),
              retiredAt: isoTime(key.retiredAt),
              expiresAt: isoTime(key.expiresAt),
            })),
          );
        printTable(
          ['Kid', 'Alg', 'Created', 'State'],
          list.map((key) => [key.kid, key.alg, formatTime(key.createdAt), describeState(key, now)]),
          'No signing keys yet: the broker makes one when it first starts.',
        );
      });
    });

  keys
    .command('rotate')
    .description('make a new signing key; the previous one stays published for --keep-previous-hours')
    .option(
      '--keep-previous-hours <hours>',
      'how long tokens signed by the previous key keep verifying (at least the 1-hour id_token lifetime)',
      numberBetween(0, 24 * 365),
      24,
    )
    .action(async (options: { keepPreviousHours: number }) => {
      await withBroker(async ({ db, actor }) => {
        const previous = (await listSigningKeys(db)).filter((key) => key.retiredAt === null);
        const key = await rotateSigningKey(db, Math.round(options.keepPreviousHours * 3600));
        const keptUntil = Date.now() + options.keepPreviousHours * 3_600_000;
        await new AuditLog(db).record({
          event: 'signing_key',
          outcome: 'rotated',
          correlationId: randomUUID(),
          detail: `new kid ${key.kid}; previous kept ${options.keepPreviousHours} hours; by ${actor}`,
        });
        print(`New signing key ${key.kid} (${key.alg}).`);
        for (const old of previous)
          print(`The previous key ${old.kid} stays published until ${formatTime(keptUntil)}.`);
        if (options.keepPreviousHours < 1)
          note('Warning: id_tokens live an hour; ones signed by the previous key may stop verifying early.');
        print(
          'Running broker instances keep signing with the keys they loaded at start: restart every instance ' +
            'now so that all of them publish and sign with the new key.',
        );
      });
    });
}
