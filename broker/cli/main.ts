#!/usr/bin/env node
// The `cqrs-broker` administration CLI: migrations, seeds, accounts, clients, signing keys and the audit
// trail, on the same database and environment as the broker. Failures end with one line on stderr and
// a non-zero exit code, never a stack trace: a ServiceError marked `expose` by its message, anything
// else as an unexpected failure with its first line.
import { Command } from 'commander';
import { isServiceError } from '../../shared/errors.ts';
import { registerAccountCommands } from './accounts.ts';
import { registerAuditCommand } from './audit.ts';
import { registerClientCommands } from './clients.ts';
import { registerConformanceCommand } from './conformance.ts';
import { CliError, failureReason, unreachableDatabase } from './context.ts';
import { registerKeyCommands } from './keys.ts';
import { registerSetupCommands } from './setup.ts';

/** One line for any failure, never a stack trace. */
function describe(error: unknown): string {
  if (isServiceError(error) && error.expose)
    return error.message.replace(/:\n\s*/g, ': ').replace(/\n\s*/g, '; ');
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  return unreachableDatabase(error) ?? `unexpected failure: ${failureReason(error)}`;
}

const program = new Command('cqrs-broker')
  .description('Administer the CQRS identity broker (reads the same environment as the broker)')
  .showSuggestionAfterError();
registerSetupCommands(program);
registerAccountCommands(program);
registerClientCommands(program);
registerKeyCommands(program);
registerAuditCommand(program);
registerConformanceCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`error: ${describe(error)}\n`);
  process.exitCode = error instanceof CliError ? error.exitCode : 1;
}
