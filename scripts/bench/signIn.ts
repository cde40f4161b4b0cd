// One complete federated sign-in as users and apps make it: the confidential `cqrs-app` client starts
// an authorization at the broker with PKCE, state and nonce; a fresh browser follows the real pages
// to the mock NHSmail sign-in form and posts it; the client takes the code from its redirect URI and
// redeems it at the broker's token endpoint. And one refresh grant with a rotating refresh token.
import { createHash, randomBytes } from 'node:crypto';
import { cqrsAppClient } from '../../seeds/clients.ts';
import { seededPassword } from '../../seeds/personas.ts';
import { Browser, findForm, type RequestObserver, unobserved } from './browser.ts';

export interface BrokerClient {
  brokerUrl: string;
  clientId: string;
  secret: string;
  redirectUri: string;
}

export interface Tokens {
  accessToken: string;
  idToken: string | undefined;
  refreshToken: string | undefined;
}

/** The seeded `cqrs-app` client with its development secret and registered redirect URI. */
export function seededClient(brokerUrl: string, appUrl: string): BrokerClient {
  return {
    brokerUrl,
    clientId: cqrsAppClient.clientId,
    secret: cqrsAppClient.developmentSecret,
    redirectUri: `${appUrl}${cqrsAppClient.redirectPath}`,
  };
}

/** What the CQRS app asks for; `prompt=consent` makes the broker honour offline_access (a refresh token). */
export const requestedScope = 'openid email profile cqrs offline_access';

const random = () => randomBytes(32).toString('base64url');

function basicAuthorization(client: BrokerClient): string {
  const credentials = `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.secret)}`;
  return `Basic ${Buffer.from(credentials).toString('base64')}`;
}

async function tokenRequest(
  client: BrokerClient,
  form: Record<string, string>,
  observe: RequestObserver = unobserved,
): Promise<Tokens> {
  const url = `${client.brokerUrl}/token`;
  const { response, body } = await observe({ method: 'POST', url }, async () => {
    const answer = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(client),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(30_000),
    });
    return { response: answer, body: (await answer.json()) as Record<string, unknown> };
  });
  if (response.status !== 200 || typeof body.access_token !== 'string') {
    throw new Error(
      `token endpoint (${form.grant_type}) answered ${response.status} ${String(body.error ?? '')}`,
    );
  }
  return {
    accessToken: body.access_token,
    idToken: typeof body.id_token === 'string' ? body.id_token : undefined,
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : undefined,
  };
}

/** Runs one sign-in for `userId` in a new browser; throws with what went wrong. */
export async function signIn(
  client: BrokerClient,
  userId: string,
  options: { offlineAccess?: boolean; observe?: RequestObserver } = {},
): Promise<Tokens> {
  const browser = new Browser(options.observe);
  const state = random();
  const codeVerifier = random();
  const authorization = new URL(`${client.brokerUrl}/auth`);
  const parameters: Record<string, string> = {
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: client.redirectUri,
    scope: requestedScope,
    state,
    nonce: random(),
    code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
    code_challenge_method: 'S256',
  };
  if (options.offlineAccess) parameters.prompt = 'consent';
  for (const [name, value] of Object.entries(parameters)) authorization.searchParams.set(name, value);

  const signInPage = await browser.follow(await browser.request(authorization.href), client.redirectUri);
  if (signInPage.status !== 200) throw new Error(`expected the sign-in page, got ${describe(signInPage)}`);
  const form = findForm(signInPage, 'password');
  const submitted = await browser.request(form.action, {
    method: form.method,
    form: { ...form.hidden, username: userId, password: seededPassword },
  });
  const end = await browser.follow(submitted, client.redirectUri);
  if (!end.location?.startsWith(client.redirectUri))
    throw new Error(`the sign-in ended at ${describe(end)}, not at the client`);

  const response = new URL(end.location).searchParams;
  if (response.get('state') !== state) throw new Error('the authorization response has another state');
  if (response.get('iss') !== client.brokerUrl) throw new Error('the authorization response has another iss');
  const code = response.get('code');
  if (!code)
    throw new Error(`the authorization response has no code (${response.get('error') ?? 'no error'})`);
  const tokens = await tokenRequest(
    client,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: client.redirectUri,
      code_verifier: codeVerifier,
    },
    options.observe,
  );
  if (!tokens.idToken) throw new Error('the token response has no id_token');
  if (options.offlineAccess && !tokens.refreshToken)
    throw new Error('the token response has no refresh_token for offline_access');
  return tokens;
}

/** Redeems a refresh token; returns the one to use next (the rotated one, when the broker rotates). */
export async function refresh(client: BrokerClient, refreshToken: string): Promise<string> {
  const tokens = await tokenRequest(client, { grant_type: 'refresh_token', refresh_token: refreshToken });
  return tokens.refreshToken ?? refreshToken;
}

function describe(response: { status: number; url: string }): string {
  return `${new URL(response.url).pathname} (${response.status})`;
}
