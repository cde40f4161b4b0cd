// docs/connect-your-app.md, executed: the blocks it marks `<!-- tested: name -->` run against a local
// broker, so the guide cannot drift from it. The registration command runs as written; the minimal
// client runs as written with the example app's URL replaced by a loopback host standing in for it.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import test from 'ava';
import { HttpSession } from '../helpers/httpSession.ts';
import { browse, startRelyingPartyHost } from '../helpers/relyingParty.ts';
import { startSystem } from '../helpers/system.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const guide = await readFile(path.join(root, 'docs', 'connect-your-app.md'), 'utf8');

/** The fenced block right after `<!-- tested: name -->`. */
function block(name: string): string {
  const pattern = new RegExp(`<!-- tested: ${name} -->\\s*\\n\`\`\`\\w*\\n([\\s\\S]*?)\\n\`\`\`\\n`);
  const found = pattern.exec(guide);
  if (!found?.[1]) throw new Error(`docs/connect-your-app.md has no block marked "tested: ${name}"`);
  return found[1];
}

function shell(
  command: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const system = await startSystem();
const host = await startRelyingPartyHost();
const snippetDirectory = await mkdtemp(path.join(tmpdir(), 'cqrs-guide-'));
test.after.always(async () => {
  await rm(snippetDirectory, { recursive: true, force: true });
  await host.close();
  await system.close();
});

/** Runs §10's registration command on the test broker's database; returns the secret it printed. */
async function registerAsTheGuideSays(): Promise<string> {
  const command = block('register-locally').replaceAll('http://localhost:4000', host.url);
  const result = await shell(command, {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? snippetDirectory,
    DATA_DIR: path.dirname(system.brokerConfig.database.sqliteFile),
    LOG_LEVEL: 'silent',
  });
  if (result.code !== 0) throw new Error(`the guide's command failed: ${result.output}`);
  const secret = /^Client secret: (\S+)$/m.exec(result.output)?.[1];
  if (!secret) throw new Error(`no "Client secret:" line, as §2 shows: ${result.output}`);
  return secret;
}

interface Session {
  user?: { sub: string; sid: string; name: string; organisations: unknown };
  tokens?: { accessToken: string; refreshToken: string; idToken: string; expiresAt: number };
}

interface MinimalClient {
  startLogin(session: Session): Promise<URL>;
  finishLogin(session: Session, currentUrl: URL): Promise<void>;
  freshTokens(session: Session): Promise<NonNullable<Session['tokens']>>;
  endSessionUrl(idToken: string, state: string): URL;
  verifyLogoutToken(logoutToken: string): Promise<unknown>;
}

/** §9's snippet as a module of its own, beside this project's node_modules. */
async function loadMinimalClient(clientId: string, secret: string): Promise<MinimalClient> {
  const source = block('minimal-client').replaceAll('https://reports.example.org', host.url);
  await symlink(path.join(root, 'node_modules'), path.join(snippetDirectory, 'node_modules'), 'dir');
  const file = path.join(snippetDirectory, 'minimal-client.ts');
  await writeFile(file, source);
  process.env.BROKER_ISSUER = system.brokerUrl;
  process.env.CLIENT_ID = clientId;
  process.env.CLIENT_SECRET = secret;
  return (await import(pathToFileURL(file).href)) as MinimalClient;
}

test('the registration command and the minimal client work as the guide shows them', async (t) => {
  const secret = await registerAsTheGuideSays();
  const client = await loadMinimalClient('my-app', secret);
  const documentedUserinfo = JSON.parse(block('userinfo-example')) as {
    sub: string;
    name: string;
    organisations: unknown;
  };

  // GET /auth/login, the browser at the broker and NHSmail, then GET /auth/callback.
  const session: Session = {};
  const browser = new HttpSession();
  const outcome = await browse(
    browser,
    (await client.startLogin(session)).href,
    `${host.url}/auth/callback`,
    'tom.jones@nhs.net',
  );
  if (!outcome.callback) return t.fail(`the sign-in stopped at ${outcome.page?.url}`);
  await client.finishLogin(session, outcome.callback);
  const user = session.user;
  const tokens = session.tokens;
  if (!user || !tokens) return t.fail('finishLogin stored no user or tokens');
  t.is(user.sub, documentedUserinfo.sub);
  t.is(user.name, documentedUserinfo.name);
  t.deepEqual(user.organisations, documentedUserinfo.organisations);
  t.truthy(user.sid, 'the id_token carries sid for a back-channel client');

  // §4: userinfo is exactly the documented example.
  const userinfo = await fetch(`${system.brokerUrl}/me`, {
    headers: { authorization: `Bearer ${tokens.accessToken}` },
  });
  t.deepEqual(await userinfo.json(), documentedUserinfo);

  // §5: an expired access token is refreshed, and the newest refresh token is kept.
  session.tokens = { ...tokens, expiresAt: 0 };
  const refreshed = await client.freshTokens(session);
  t.not(refreshed.refreshToken, tokens.refreshToken);
  t.not(refreshed.accessToken, tokens.accessToken);
  t.truthy(refreshed.idToken);

  // §7: sign out at the broker; the back-channel logout token verifies and names the session.
  const logoutToken = host.nextPost('/auth/backchannel-logout');
  const endSession = client.endSessionUrl(refreshed.idToken, 'guide-state');
  const confirmation = await browser.get(endSession.href);
  let done = await browser.submit(confirmation, '#op\\.logoutForm', { logout: 'yes' });
  // A sign-out chained on to NHSmail may ask there too before it comes back.
  for (let step = 0; step < 3 && done.$('form#op\\.logoutForm').length > 0; step += 1)
    done = await browser.submit(done, 'form#op\\.logoutForm', { logout: 'yes' });
  t.is(done.url, `${host.url}/?state=guide-state`, 'back at the app with its state');
  const posted = await logoutToken;
  t.is(await client.verifyLogoutToken(posted.get('logout_token') ?? ''), user.sid);
  await t.throwsAsync(
    client.verifyLogoutToken(refreshed.idToken),
    undefined,
    'an id_token is no logout token',
  );
});
