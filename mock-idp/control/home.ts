// The tester's landing page at `/`: issuer and discovery URLs, the personas and what each shows, the
// failure catalogue and how to reach the control API.
import Router from '@koa/router';
import type { Knex } from 'knex';
import { personas } from '../../seeds/personas.ts';
import type { MockIdpConfig } from '../config.ts';
import type Provider from 'oidc-provider';
import { AccountStore } from '../directory/accounts.ts';
import { signedInAccountId } from '../provider/logout.ts';
import { entraRoutes } from '../provider/provider.ts';
import { scenarios } from '../scenarios/index.ts';

export interface TrainerPersona {
  email: string;
  outcome: string;
  mfaCode: string | undefined;
}

/** The seeded personas with what each shows, and the current one-time code for MFA accounts. */
export async function trainerPersonas(db: Knex): Promise<TrainerPersona[]> {
  const rows: Array<{ email: string; mfa_required: boolean | number; mfa_code: string }> = await db(
    'nhsmail_accounts',
  ).select('email', 'mfa_required', 'mfa_code');
  const codes = new Map(rows.map((row) => [row.email, row.mfa_required ? row.mfa_code : undefined]));
  return personas.map((persona) => ({
    email: persona.email,
    outcome: persona.outcome,
    mfaCode: codes.get(persona.email),
  }));
}

export function homeRoutes(options: { config: MockIdpConfig; db: Knex; provider: Provider }): Router {
  const { config, db, provider } = options;
  const router = new Router();
  router.get('/', async (ctx) => {
    // Whether this browser is signed in to the mock, and as whom: testers switch personas by it.
    const accountId = await signedInAccountId(ctx, provider, db);
    const signedInAs = accountId ? await new AccountStore(db).findByOid(accountId) : undefined;
    ctx.set('Cache-Control', 'no-store');
    await ctx.render('home', {
      signedInAs: signedInAs?.email,
      title: 'Mock NHSmail for testing',
      issuer: config.issuer,
      discovery: `${config.baseUrl}${entraRoutes(config.tenantId).discovery}`,
      signOut: entraRoutes(config.tenantId).end_session,
      controlBase: `${config.baseUrl}/_mock`,
      homePersonas: await trainerPersonas(db),
      // The page is public: without trainer mode, one-time codes come only from the control API.
      showCodes: config.trainerMode,
      scenarios,
      skinName: config.skin,
    });
  });
  return router;
}
