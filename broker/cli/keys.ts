// `cqrs-broker keys …`: the broker's token signing keys and cookie keys. A new key is published by
// every running instance at its next key refresh and signs only after BROKER_KEY_ACTIVATION_SECONDS;
// the keys it replaces stay published for --keep-previous-hours after that (docs/operations.md).
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import {
  inUseFirst,
  listSigningKeys,
  rotateCookieKey,
  rotateSigningKey,
  type SigningKey,
} from '../../shared/oidc/keyStore.ts';
import { AuditLog } from '../accounts/audit.ts';
import { numberBetween, withBroker } from './context.ts';
import { formatTime, isoTime, note, print, printJson, printTable } from './output.ts';

type KeyState = 'pending' | 'signing' | 'published' | 'expired';

/** id_tokens, the longest-lived tokens the broker signs, live an hour; instances refresh within a minute. */
const shortestSafeKeepHours = 1 + 1 / 60;

function keyStates(keys: SigningKey[], now: number): Map<string, KeyState> {
  const live = keys.filter((key) => key.expiresAt === null || key.expiresAt > now);
  const signing = inUseFirst(live, now)[0];
  return new Map(
    keys.map((key): [string, KeyState] => {
      if (!live.includes(key)) return [key.kid, 'expired'];
      if (key === signing && key.activatesAt <= now) return [key.kid, 'signing'];
      return [key.kid, key.activatesAt > now ? 'pending' : 'published'];
    }),
  );
}

function describeState(key: SigningKey, state: KeyState): string {
  if (state === 'pending') return `published; signs from ${formatTime(key.activatesAt)}`;
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
        const states = keyStates(list, now);
        if (options.json)
          return printJson(
            list.map((key) => ({
              kid: key.kid,
              alg: key.alg,
              state: states.get(key.kid),
              createdAt: isoTime(key.createdAt),
              activatesAt: isoTime(key.activatesAt),
              retiredAt: isoTime(key.retiredAt),
              expiresAt: isoTime(key.expiresAt),
            })),
          );
        printTable(
          ['Kid', 'Alg', 'Created', 'State'],
          list.map((key) => [
            key.kid,
            key.alg,
            formatTime(key.createdAt),
            describeState(key, states.get(key.kid) ?? 'expired'),
          ]),
          'No signing keys yet: the broker makes one when it first starts.',
        );
      });
    });

  keys
    .command('rotate')
    .description(
      'make a new signing key: published at once, signing after BROKER_KEY_ACTIVATION_SECONDS; ' +
        'the previous one stays published for --keep-previous-hours after that',
    )
    .option(
      '--keep-previous-hours <hours>',
      'how long tokens signed by the previous key keep verifying (at least the 1-hour id_token lifetime)',
      numberBetween(0, 24 * 365),
      24,
    )
    .action(async (options: { keepPreviousHours: number }) => {
      await withBroker(async ({ config, db, actor }) => {
        const previous = (await listSigningKeys(db)).filter((key) => key.retiredAt === null);
        const keepSeconds = Math.round(options.keepPreviousHours * 3600);
        const key = await rotateSigningKey(db, keepSeconds, config.keys.activationSeconds);
        await new AuditLog(db).record({
          event: 'signing_key',
          outcome: 'rotated',
          correlationId: randomUUID(),
          detail:
            `new kid ${key.kid}; signs from ${isoTime(key.activatesAt)}; ` +
            `previous kept ${options.keepPreviousHours} hours after that; by ${actor}`,
        });
        print(`New signing key ${key.kid} (${key.alg}).`);
        print(
          `Every running instance publishes it within ${config.keys.refreshSeconds} seconds and signs with it ` +
            `from ${formatTime(key.activatesAt)}.`,
        );
        for (const old of previous)
          print(
            `The previous key ${old.kid} stays published until ` +
              `${formatTime(key.activatesAt + keepSeconds * 1000)}.`,
          );
        if (options.keepPreviousHours < shortestSafeKeepHours)
          note('Warning: id_tokens live an hour; ones signed by the previous key may stop verifying early.');
      });
    });

  keys
    .command('rotate-cookie-key')
    .description(
      'make a new cookie signing key: accepted at once, signing after BROKER_KEY_ACTIVATION_SECONDS; ' +
        'the previous ones keep verifying for --keep-previous-hours after that',
    )
    .option(
      '--keep-previous-hours <hours>',
      'how long cookies signed by the previous key stay valid (default and advised minimum: the ' +
        'sign-in lifetime, BROKER_SIGN_IN_LIFETIME_SECONDS, 8 hours unless set)',
      numberBetween(0, 24 * 365),
    )
    .action(async (options: { keepPreviousHours?: number }) => {
      await withBroker(async ({ config, db, actor }) => {
        const lifetimeHours = config.signInLifetimeSeconds / 3600;
        const keepHours = options.keepPreviousHours ?? lifetimeHours;
        const keepSeconds = Math.round(keepHours * 3600);
        const key = await rotateCookieKey(db, keepSeconds, config.keys.activationSeconds);
        await new AuditLog(db).record({
          event: 'cookie_key',
          outcome: 'rotated',
          correlationId: randomUUID(),
          detail: `generation ${key.generation}; signs from ${isoTime(key.activatesAt)}; by ${actor}`,
        });
        print(`New cookie key (generation ${key.generation}), signing from ${formatTime(key.activatesAt)}.`);
        if (keepSeconds < config.signInLifetimeSeconds)
          note(
            `Warning: a sign-in lasts ${formatHours(lifetimeHours)}; ones whose cookies the previous key signed may end early.`,
          );
      });
    });
}

function formatHours(hours: number): string {
  const rounded = Number(hours.toFixed(2));
  return `${rounded} hour${rounded === 1 ? '' : 's'}`;
}
