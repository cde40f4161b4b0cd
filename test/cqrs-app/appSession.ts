// Reads and edits the CQRS app's server-side session of a scripted browser: the browser holds only the
// session id (cookie cqrs_app_session), the tokens live in the app's app_sessions table.
import type { TokenSet } from '../../cqrs-app/brokerClient.ts';
import type { HttpSession } from '../helpers/httpSession.ts';
import type { TestSystem } from '../helpers/system.ts';

interface StoredSession {
  user?: { sub: string; sid?: string };
  tokens?: TokenSet;
  [key: string]: unknown;
}

async function sessionId(system: TestSystem, browser: HttpSession): Promise<string> {
  const cookie = (await browser.jar.getCookies(system.appUrl)).find(
    (each) => each.key === 'cqrs_app_session',
  );
  if (!cookie) throw new Error('the browser has no CQRS app session cookie');
  return cookie.value;
}

/** The app's stored session for this browser, or undefined when the app has none. */
export async function readAppSession(
  system: TestSystem,
  browser: HttpSession,
): Promise<StoredSession | undefined> {
  const row = await system
    .appDb('app_sessions')
    .where({ id: await sessionId(system, browser) })
    .first();
  return row ? (JSON.parse(row.data) as StoredSession) : undefined;
}

/** Changes the stored tokens of this browser's app session (e.g. to make the access token expire). */
export async function editAppTokens(
  system: TestSystem,
  browser: HttpSession,
  edit: (tokens: TokenSet) => TokenSet,
): Promise<void> {
  const id = await sessionId(system, browser);
  const stored = await readAppSession(system, browser);
  if (!stored?.tokens) throw new Error('the app session holds no tokens');
  const data = JSON.stringify({ ...stored, tokens: edit(stored.tokens) });
  await system.appDb('app_sessions').where({ id }).update({ data });
}
