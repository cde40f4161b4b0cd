// Calls the mock NHSmail IdP's control API (/_mock/) the way a tester's script would: real HTTP with
// the bearer token, JSON in and out.
import type { TestSystem } from './system.ts';

export interface ControlAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whichever fields the API answers.
  body: any;
}

export async function control(
  system: TestSystem,
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; rawBody?: string } = {},
): Promise<ControlAnswer> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? system.controlToken : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined || options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = options.rawBody ?? JSON.stringify(options.body);
  }
  const response = await fetch(`${system.mockUrl}/_mock${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** One NHSmail account as the control API shows it; fails the test's setup when it is missing. */
// biome-ignore lint/suspicious/noExplicitAny: the API's account view.
export async function mockAccount(system: TestSystem, email: string): Promise<any> {
  const answer = await control(system, 'GET', `/accounts/${encodeURIComponent(email)}`);
  if (answer.status !== 200) throw new Error(`no account ${email}: ${answer.status}`);
  return answer.body;
}

/** Creates an NHSmail account with the seeded password (no CQRS account at the broker). */
export async function createMockAccount(
  system: TestSystem,
  email: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const answer = await control(system, 'POST', '/accounts', {
    body: { email, password: 'Passw0rd-2020', givenName: 'Test', familyName: 'User', ...extra },
  });
  if (answer.status !== 201) throw new Error(`creating ${email} failed: ${JSON.stringify(answer.body)}`);
}
