// Code reuse, driven the way it was found: one authorization code redeemed by several token requests at
// once, on SQLite and on PostgreSQL. Exactly one request wins, and every token issued from that code,
// the winner's included, stops working (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
import test from 'ava';
import { HttpSession } from '../helpers/httpSession.ts';
import { postgresRequired, postgresUrl } from '../helpers/postgres.ts';
import {
  authorize,
  registerClient,
  startRelyingPartyHost,
  type TestClient,
} from '../helpers/relyingParty.ts';
import { startSystem, type TestSystem } from '../helpers/system.ts';

const postgresCheck = await postgresRequired();

interface TokenAnswer {
  status: number;
  body: { access_token?: string; refresh_token?: string; error?: string };
}

async function tokenRequest(client: TestClient, form: Record<string, string>): Promise<TokenAnswer> {
  const response = await fetch(client.config.serverMetadata().token_endpoint ?? '', {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as TokenAnswer['body'] };
}

async function userinfoStatus(client: TestClient, accessToken: string): Promise<number> {
  const response = await fetch(client.config.serverMetadata().userinfo_endpoint ?? '', {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  await response.arrayBuffer();
  return response.status;
}

function raceSuite(backend: string, available: boolean, options: { brokerPostgresUrl?: string }) {
  let system: TestSystem;
  let client: TestClient;
  let closeHost: () => Promise<void>;
  test.before(async () => {
    if (!available) return;
    system = await startSystem(options);
    const host = await startRelyingPartyHost();
    closeHost = () => host.close();
    client = await registerClient(system, host);
  });
  test.after.always(async () => {
    await closeHost?.();
    await system?.close();
  });

  for (const racers of [2, 20]) {
    (available ? test.serial : test.serial.skip)(
      `${backend}: ${racers} simultaneous redemptions of one code: one wins, then none of its tokens work`,
      async (t) => {
        for (let round = 0; round < 3; round += 1) {
          const { pending, callback } = await authorize(client, new HttpSession(), 'jane.smith@nhs.net');
          const form = {
            grant_type: 'authorization_code',
            code: callback.searchParams.get('code') ?? '',
            redirect_uri: client.redirectUri,
            code_verifier: pending.codeVerifier,
          };
          const answers = await Promise.all(Array.from({ length: racers }, () => tokenRequest(client, form)));
          const winners = answers.filter((answer) => answer.status === 200);
          t.is(winners.length, 1, `round ${round}: exactly one redemption wins`);
          for (const loser of answers.filter((answer) => answer.status !== 200))
            t.is(loser.body.error, 'invalid_grant');
          const { access_token: accessToken, refresh_token: refreshToken } = winners[0]?.body ?? {};
          if (!accessToken || !refreshToken) return t.fail('the winner got no access and refresh token');
          t.is(await userinfoStatus(client, accessToken), 401, `round ${round}: access token revoked`);
          const refreshed = await tokenRequest(client, {
            grant_type: 'refresh_token',
            refresh_token: refreshToken,
          });
          t.is(refreshed.status, 400, `round ${round}: refresh token revoked`);
          t.is(refreshed.body.error, 'invalid_grant');
        }
      },
    );
  }
}

raceSuite('sqlite', true, {});
raceSuite('postgres', postgresCheck.run, { brokerPostgresUrl: postgresUrl });
