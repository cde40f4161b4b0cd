// The trainer panel on every sign-in page (the personas, what each shows, MFA codes), read from the
// directory once and kept until the control API changes something. One mock instance: a change made
// through another instance's API is not seen here (the mock is not run as several instances).
import type { Knex } from 'knex';
import { type TrainerPersona, trainerPersonas } from './home.ts';

export interface TrainerPanel {
  personas(): Promise<TrainerPersona[]>;
  /** The directory changed: read it again for the next page. */
  invalidate(): void;
}

export function trainerPanel(db: Knex): TrainerPanel {
  let cached: Promise<TrainerPersona[]> | undefined;
  return {
    personas() {
      if (!cached) {
        const reading = trainerPersonas(db);
        cached = reading;
        // A failed read is not kept: the next page tries again.
        reading.catch(() => {
          if (cached === reading) cached = undefined;
        });
      }
      return cached;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
