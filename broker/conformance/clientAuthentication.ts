// Client authentication at the token endpoint, without a user: a bogus code with the right secret is
// refused as invalid_grant (the client authenticated), with a wrong or missing secret as invalid_client.
import * as oidc from 'openid-client';
import { type CheckRecorder, CheckFailure, expect } from './checks.ts';
import type { Target } from './target.ts';

export const clientAuthenticationChecks = [
  'client-auth.valid-secret',
  'client-auth.wrong-secret',
  'client-auth.missing-secret',
];

/** The OAuth error a token request with a made-up code answers, and its HTTP status. */
async function redeemMadeUpCode(
  target: Target,
  config: oidc.Configuration,
): Promise<{ error: string; status: number }> {
  try {
    await oidc.genericGrantRequest(config, 'authorization_code', {
      code: oidc.randomState(),
      redirect_uri: target.options.redirectUri,
      code_verifier: oidc.randomPKCECodeVerifier(),
    });
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError) return { error: error.error, status: error.status };
    // A 401 with a WWW-Authenticate challenge (HTTP Basic): the error is in the challenge or the body.
    if (error instanceof oidc.WWWAuthenticateChallengeError) {
      const fromChallenge = error.cause.find((challenge) => challenge.parameters.error)?.parameters.error;
      const body = (await error.response.json().catch(() => ({}))) as { error?: unknown };
      return { error: String(fromChallenge ?? body.error ?? 'challenge'), status: error.status };
    }
    throw error;
  }
  throw new CheckFailure('a made-up authorization code was redeemed');
}

export async function checkClientAuthentication(recorder: CheckRecorder, target: Target): Promise<void> {
  const secret = target.options.clientSecret;
  await recorder.check('client-auth.valid-secret', async () => {
    const { error } = await redeemMadeUpCode(target, target.config);
    expect(error === 'invalid_grant', `answered ${error}: the client id and secret were not accepted`);
    return 'the client authenticates; the made-up code is invalid_grant';
  });
  await recorder.check('client-auth.wrong-secret', async () => {
    const wrong = target.configurationWith(oidc.ClientSecretBasic(`${secret}-wrong`));
    const { error, status } = await redeemMadeUpCode(target, wrong);
    expect(error === 'invalid_client', `answered ${error}`);
    expect(status === 401, `answered status ${status}, not 401`);
    return 'invalid_client (401)';
  });
  await recorder.check('client-auth.missing-secret', async () => {
    const { error } = await redeemMadeUpCode(target, target.configurationWith(oidc.None()));
    expect(error === 'invalid_client', `answered ${error}`);
    return 'invalid_client';
  });
}
