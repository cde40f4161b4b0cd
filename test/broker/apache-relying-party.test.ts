// A second, independently written downstream RP: Apache httpd with Debian's mod_auth_openidc, registered
// through `cqrs-broker clients add`, with PKCE S256. A user signs in through Apache and sees their
// claims, signs out through Apache (RP-initiated logout), and then the broker has no session for them.
import path from 'node:path';
import test from 'ava';
import * as oidc from 'openid-client';
import { seededPassword } from '../../seeds/personas.ts';
import { type ApacheRelyingParty, apacheMissing, apacheUrls, startApache } from '../helpers/apache.ts';
import { HttpSession, type Page } from '../helpers/httpSession.ts';
import { freePort } from '../helpers/ports.ts';
import { browse, discoverBroker } from '../helpers/relyingParty.ts';
import { startSystem } from '../helpers/system.ts';
import { runCli } from './cliHarness.ts';

const missing = apacheMissing();
// CI installs Apache and the module (.ci/run); elsewhere the skip names what to install.
if (missing && process.env.CI !== 'true')
  test.skip(`Apache mod_auth_openidc tests need: ${missing}`, () => {});
else {
  if (missing) throw new Error(`CI=true but Apache mod_auth_openidc cannot run: ${missing}`);
  const system = await startSystem();
  const port = await freePort();
  const urls = apacheUrls(port);
  const clientId = 'apache-mod-auth-openidc';
  const registration = await runCli(
    [
      'clients',
      'add',
      clientId,
      '--redirect-uri',
      urls.redirectUri,
      '--post-logout-redirect-uri',
      urls.signedOutUrl,
      '--name',
      'Apache mod_auth_openidc',
      '--json',
    ],
    {
      PATH: process.env.PATH ?? '',
      DATA_DIR: path.dirname(system.brokerConfig.database.sqliteFile),
      LOG_LEVEL: 'silent',
    },
  );
  if (registration.code !== 0) throw new Error(`clients add failed: ${registration.stderr}`);
  const clientSecret = (JSON.parse(registration.stdout) as { client_secret: string }).client_secret;
  let apache: ApacheRelyingParty | undefined;
  test.before(async () => {
    apache = await startApache({
      port,
      issuer: system.brokerUrl,
      clientId,
      clientSecret,
    });
  });
  test.after.always(async () => {
    await apache?.close();
    await system.close();
  });

  const browser = new HttpSession();
  const heading = (page: Page) => page.$('h1').first().text().trim();

  test.serial(
    'a sign-in through Apache reaches the protected page, which sees the user’s claims',
    async (t) => {
      const signInPage = await browser.get(urls.protectedUrl);
      t.truthy(
        signInPage.$('form input[type=password]').length,
        `NHSmail sign-in form, not ${signInPage.url}`,
      );
      const authorization = new URL(
        signInPage.trail.find((url) => url.startsWith(`${system.brokerUrl}/auth`)) ?? 'http://none',
      );
      t.is(authorization.searchParams.get('client_id'), clientId);
      t.is(authorization.searchParams.get('code_challenge_method'), 'S256');
      const page = await browser.submit(signInPage, 'form:has(input[name=password])', {
        username: 'jane.smith@nhs.net',
        password: seededPassword,
      });
      t.is(page.status, 200, (await apache?.errorLog())?.slice(-1500));
      t.is(page.url, urls.protectedUrl);
      t.is(heading(page), 'Signed in through Apache');
      t.is(page.$('[data-claim=email]').text().trim(), 'jane.smith@nhs.net');
      t.is(page.$('[data-claim=name]').text().trim(), 'Jane Smith');
      t.regex(page.$('[data-claim=sub]').text().trim(), /^[0-9a-f-]{36}$/);
      t.true(page.trail.includes(urls.protectedUrl), 'came back through Apache');
    },
  );

  test.serial(
    'RP-initiated logout through Apache ends the broker session; prompt=none then gives login_required',
    async (t) => {
      const logout = `${urls.redirectUri}?logout=${encodeURIComponent(urls.signedOutUrl)}`;
      let page = await browser.get(logout);
      t.true(
        page.trail.some((url) => url.startsWith(`${system.brokerUrl}/session/end`)),
        'went to end_session',
      );
      t.is(page.$('[data-testid=page-heading]').text().trim(), 'Sign out of CQRS');
      // The broker asks to confirm; a chained upstream sign-out may ask again on its own page.
      for (let step = 0; step < 3 && page.$('form#op\\.logoutForm').length > 0; step += 1)
        page = await browser.submit(page, 'form#op\\.logoutForm', { logout: 'yes' });
      t.is(page.url.split('?')[0], urls.signedOutUrl);
      t.is(heading(page), 'Signed out');

      const config = await discoverBroker(system, clientId, clientSecret);
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: urls.redirectUri,
        scope: 'openid email profile',
        prompt: 'none',
        state: oidc.randomState(),
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const silent = await browse(browser, url.href, urls.redirectUri);
      t.is(silent.callback?.searchParams.get('error'), 'login_required');
      t.is(silent.callback?.searchParams.get('code'), null);

      const again = await browser.get(urls.protectedUrl);
      t.not(heading(again), 'Signed in through Apache', 'Apache forgot the session too');
      t.truthy(again.$('form input[type=password]').length, 'the protected page asks for a sign-in again');
    },
  );
}
