// The reference on the broker's error pages leads the help desk to a log line: refusals at oidc-provider's
// own endpoints are logged with the correlation id and OAuth error code, and never with the token.
import { captureLogs } from '../helpers/logCapture.ts';
import test from 'ava';
import * as oidc from 'openid-client';
import { HttpSession } from '../helpers/httpSession.ts';
import {
  authorizationRequest,
  oauthErrorOf,
  registerClient,
  signIn,
  startRelyingPartyHost,
} from '../helpers/relyingParty.ts';
import { startSystem } from '../helpers/system.ts';

interface LogLine {
  service?: string;
  correlationId?: string;
  event?: string;
  error?: string;
  clientId?: string;
  msg?: string;
}

test('issuer refusals are logged under the correlation id the user or client sees, without tokens', async (t) => {
  const { destination, lines } = captureLogs();
  const system = await startSystem({ logDestination: destination });
  const host = await startRelyingPartyHost();
  try {
    const client = await registerClient(system, host);
    const { url } = await authorizationRequest(client, { redirect_uri: `${client.redirectUri}/altered` });
    const page = await new HttpSession().get(url.href, { follow: false });
    const reference = page.$('[data-testid=correlation-id]').text().trim();

    const { tokens } = await signIn(client, 'jane.smith@nhs.net');
    const refreshToken = tokens.refresh_token ?? '';
    await oidc.refreshTokenGrant(client.config, refreshToken);
    t.is(await oauthErrorOf(oidc.refreshTokenGrant(client.config, refreshToken)), 'invalid_grant');

    const parsed = lines.map((line) => JSON.parse(line) as LogLine);
    const refusal = parsed.find((line) => line.correlationId === reference && line.msg !== 'request');
    t.like(refusal, {
      service: 'broker',
      event: 'authorization.error',
      error: 'invalid_redirect_uri',
      clientId: client.clientId,
    });
    t.true(
      parsed.some((line) => line.event === 'grant.error' && line.error === 'invalid_grant'),
      'the reused refresh token is logged as a refused grant',
    );
    const log = lines.join('\n');
    for (const token of [refreshToken, tokens.access_token, tokens.id_token ?? '', client.secret])
      t.false(log.includes(token), `a log line contains ${token.slice(0, 4)}…`);
  } finally {
    await host.close();
    await system.close();
  }
});
