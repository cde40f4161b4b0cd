// What a CQRS account may contain, checked once wherever accounts enter the broker (the CLI's `add`
// and CSV import), so that every stored account can be exported and imported again unchanged.
import { z } from 'zod';
import { accountStatuses, type NewAccount, normaliseEmail } from './accountStore.ts';

/** Line breaks and other control characters would break tables, CSV rows and the claims apps display. */
const printable = /^\P{Cc}*$/u;

/** Lower-case identifiers, as organisation types and CQRS roles are spelt (`gp_practice`, `practice_user`). */
const identifier = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9_]*$/, 'must be lower-case letters, digits and underscores');

export const organisationSchema = z
  .object({
    // ODS codes are upper-case letters and digits (A81001, QE1); accept any case and store upper-case.
    odsCode: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9]{3,16}$/, 'ODS code must be 3 to 16 letters and digits')
      .transform((code) => code.toUpperCase()),
    // `|` and `;` separate fields and organisations in the CSV encoding, so a name may not hold them.
    name: z
      .string()
      .trim()
      .min(1, 'organisation name is empty')
      .max(300, 'organisation name is longer than 300 characters')
      .regex(/^[^|;]*$/, 'organisation name may not contain | or ;')
      .regex(printable, 'organisation name may not contain line breaks or other control characters'),
    type: identifier.max(32, 'organisation type is longer than 32 characters'),
    roles: z.array(identifier.max(64)).min(1, 'an organisation needs at least one role'),
  })
  .transform((organisation) => ({ ...organisation, roles: [...new Set(organisation.roles)] }));

const personName = (label: string) =>
  z
    .string()
    .trim()
    .min(1, `${label} is empty`)
    .max(200, `${label} is longer than 200 characters`)
    .regex(printable, `${label} may not contain line breaks or other control characters`);

export const emailSchema = z
  .string()
  .trim()
  .max(320, 'email is longer than 320 characters')
  .pipe(z.email({ message: 'not a valid email address' }))
  .transform(normaliseEmail);

export const accountInputSchema = z.object({
  email: emailSchema,
  givenName: personName('given name'),
  familyName: personName('family name'),
  status: z.enum(accountStatuses, { message: `status must be ${accountStatuses.join(' or ')}` }).optional(),
  organisations: z.array(organisationSchema).superRefine((organisations, context) => {
    const seen = new Set<string>();
    for (const organisation of organisations) {
      if (seen.has(organisation.odsCode))
        context.addIssue({ code: 'custom', message: `ODS code ${organisation.odsCode} is listed twice` });
      seen.add(organisation.odsCode);
    }
  }),
});

export type AccountInput = z.output<typeof accountInputSchema>;

/** Validates an account; returns it normalised, or one readable sentence naming every problem. */
export function parseAccountInput(
  input: unknown,
): { ok: true; account: AccountInput & NewAccount } | { ok: false; reason: string } {
  const result = accountInputSchema.safeParse(input);
  if (result.success) return { ok: true, account: result.data };
  return { ok: false, reason: [...new Set(result.error.issues.map((issue) => issue.message))].join('; ') };
}
