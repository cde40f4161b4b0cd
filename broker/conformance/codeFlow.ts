// The code flow with a real user (the Basic plan's positive path): a sign-in through the upstream's
// login form, the code exchange, the id_token checked against the JWKS with jose, a reused code
// refused (and what it issued revoked), and a wrong PKCE verifier refused.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import type { Browser } from './browser.ts';
import { CheckFailure, type CheckRecorder, expect } from './checks.ts';
import { authorizationRequest, type PendingAuthorization, type Target } from './target.ts';

export const codeFlowChecks = [
  'code.sign-in',
  'code.exchange',
  'id-token.validation',
  'code.reuse',
  'pkce.wrong-verifier',
];

export type Tokens = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

export interface Authorization {
  pending: PendingAuthorization;
  callback: URL;
  sawLoginForm: boolean;
}

/** Runs an authorization in `browser` (signing in with the credentials if asked) up to the redirect URI. */
export async function authorize(
  target: Target,
  browser: Browser,
  parameters: Record<string, string> = {},
): Promise<Authorization> {
  const pending = await authorizationRequest(target, parameters);
  const outcome = await browser.browse(
    pending.url.href,
    target.options.redirectUri,
    target.options.credentials,
  );
  target.pages.push(...outcome.visited.filter((page) => page.url.startsWith(target.metadata.issuer)));
  if (!outcome.callback) {
    const heading = outcome.page?.$('h1').first().text().trim() ?? '';
    throw new CheckFailure(
      `the sign-in stopped at ${outcome.page?.url} (${outcome.page?.status} "${heading}")`,
    );
  }
  return { pending, callback: outcome.callback, sawLoginForm: outcome.sawLoginForm };
}

/** Redeems the code with every check openid-client makes (iss, state, PKCE, nonce, id_token claims). */
export function redeem(target: Target, authorization: Authorization, maxAge?: number): Promise<Tokens> {
  return oidc.authorizationCodeGrant(target.config, authorization.callback, {
    pkceCodeVerifier: authorization.pending.codeVerifier,
    expectedState: authorization.pending.state,
    expectedNonce: authorization.pending.nonce,
    idTokenExpected: true,
    maxAge,
  });
}

/** The OAuth error code of a refused call (or a failure if it was not refused). */
export async function oauthError(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError) return error.error;
    if (error instanceof oidc.WWWAuthenticateChallengeError)
      return String(error.cause[0]?.parameters.error ?? 'challenge');
    throw error;
  }
  throw new CheckFailure('the call was not refused');
}

/** Signs in and redeems; returns whether the browser now holds a session that issues tokens. */
export async function checkCodeFlow(
  recorder: CheckRecorder,
  target: Target,
  browser: Browser,
): Promise<boolean> {
  let first: Authorization | undefined;
  await recorder.check('code.sign-in', async () => {
    first = await authorize(target, browser);
    expect(first.sawLoginForm, 'no sign-in form was shown to a browser without a session');
    expect(
      first.callback.searchParams.get('code'),
      `came back with error=${first.callback.searchParams.get('error')}`,
    );
    const iss = first.callback.searchParams.get('iss');
    expect(iss === target.metadata.issuer, `the authorization response's iss is ${iss} (RFC 9207)`);
    return 'signed in at the upstream; code, state and iss at the redirect URI';
  });
  if (!first) {
    for (const name of codeFlowChecks.slice(1)) recorder.skip(name, 'no sign-in');
    return false;
  }
  const signedIn = first;

  let tokens: Tokens | undefined;
  await recorder.check('code.exchange', async () => {
    tokens = await redeem(target, signedIn);
    expect(tokens.token_type.toLowerCase() === 'bearer', `token_type ${tokens.token_type}`);
    expect(tokens.id_token, 'no id_token');
    return `tokens for sub ${tokens.claims()?.sub}${tokens.refresh_token ? ', with a refresh token' : ''}`;
  });
  if (!tokens) {
    for (const name of codeFlowChecks.slice(2)) recorder.skip(name, 'no tokens');
    return false;
  }
  const issued = tokens;

  await recorder.check('id-token.validation', async () => {
    const jwks = createRemoteJWKSet(new URL(target.metadata.jwks_uri ?? ''));
    const { payload, protectedHeader } = await jwtVerify(issued.id_token ?? '', jwks, {
      issuer: target.metadata.issuer,
      audience: target.options.clientId,
      algorithms: ['RS256'],
      requiredClaims: ['sub', 'iat', 'exp'],
    });
    expect(payload.nonce === signedIn.pending.nonce, 'the nonce is not the one sent');
    return `RS256 signature by ${protectedHeader.kid}; iss, aud, nonce, exp`;
  });

  await recorder.check('code.reuse', async () => {
    const again = await oauthError(redeem(target, signedIn));
    expect(again === 'invalid_grant', `a second redemption answered ${again}`);
    const userinfo = await oauthError(
      oidc.fetchUserInfo(target.config, issued.access_token, oidc.skipSubjectCheck),
    );
    expect(userinfo === 'invalid_token', `the first redemption's access token still works (${userinfo})`);
    if (issued.refresh_token) {
      const refresh = await oauthError(oidc.refreshTokenGrant(target.config, issued.refresh_token));
      expect(refresh === 'invalid_grant', `the first redemption's refresh token answered ${refresh}`);
    }
    return 'invalid_grant; the tokens it had issued are revoked';
  });

  await recorder.check('pkce.wrong-verifier', async () => {
    const authorization = await authorize(target, browser);
    const wrong = {
      ...authorization,
      pending: { ...authorization.pending, codeVerifier: oidc.randomPKCECodeVerifier() },
    };
    const error = await oauthError(redeem(target, wrong));
    expect(error === 'invalid_grant', `answered ${error}`);
    return 'invalid_grant';
  });
  return true;
}
