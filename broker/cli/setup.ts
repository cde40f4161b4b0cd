// `cqrs-broker migrate` and `cqrs-broker seed`: bring the database schema up to date, and load the
// development personas and the cqrs-app client (never in production).
import type { Command } from 'commander';
import { cqrsAppClient } from '../../seeds/clients.ts';
import { personas } from '../../seeds/personas.ts';
import { seedBroker } from '../seed.ts';
import { CliError, withBroker } from './context.ts';
import { print } from './output.ts';

export function registerSetupCommands(program: Command): void {
  program
    .command('migrate')
    .description('apply database migrations not yet applied (every command also does this first)')
    .action(async () => {
      await withBroker(async ({ appliedMigrations }) => {
        if (appliedMigrations.length === 0) return print('The database is up to date.');
        print(`Applied ${appliedMigrations.length} migration(s): ${appliedMigrations.join(', ')}.`);
      });
    });

  program
    .command('seed')
    .description('add or reset the seeded CQRS personas and the cqrs-app client (development and test only)')
    .action(async () => {
      await withBroker(async ({ db, config }) => {
        // The personas are test users with a published password upstream: never in a live deployment.
        if (config.production)
          throw new CliError('seed is refused when NODE_ENV=production: it adds test personas');
        await seedBroker(db, { cqrsAppUrl: config.cqrsAppUrl, cqrsAppSecret: config.cqrsAppSecret });
        const seeded = personas.filter((persona) => persona.cqrs !== 'none').length;
        print(
          `Seeded ${seeded} CQRS accounts and the cqrs-app client ` +
            `(redirect URI ${config.cqrsAppUrl}${cqrsAppClient.redirectPath}, secret from CQRS_APP_CLIENT_SECRET).`,
        );
      });
    });
}
