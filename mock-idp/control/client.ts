// A small HTTP client for the tester control API (api.ts), used by the CLI. Each method is one API
// operation; a 4xx/5xx answer becomes a ServiceError with the API's own code and message, which the
// API wrote for the tester (a server error's says only that it failed, with its correlation id).
import { ServiceError } from '../../shared/errors.ts';
import type { AccountView } from './api.ts';
import type { ArmedScenario as ArmedView } from '../scenarios/armed.ts';
import type { SignInAttempt as AttemptView } from '../directory/attempts.ts';

/** The control API refused, or could not be reached: the message is for the tester. */
export class ControlError extends ServiceError {
  override name = 'ControlError';

  constructor(code: string, message: string, status: number) {
    super(code, message, { status, expose: true });
  }
}

// The API's own types, imported as types only so that the CLI loads none of the server.
export type { AccountView } from './api.ts';
export type { ArmedScenario as ArmedView } from '../scenarios/armed.ts';
export type { SignInAttempt as AttemptView } from '../directory/attempts.ts';

export interface ScenarioView {
  name: string;
  aadsts: string | null;
  stage: string;
  summary: string;
}

export interface AccountInput {
  email?: string;
  password?: string;
  givenName?: string;
  familyName?: string;
  state?: string;
  mfaRequired?: boolean;
}

export class ControlClient {
  readonly baseUrl: string;
  readonly token: string;

  constructor(baseUrl: string, token: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.token = token;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl}/_mock${path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (caught) {
      const cause = (caught as { cause?: { code?: string } }).cause;
      throw new ControlError(
        'mock_unreachable',
        `cannot reach the mock at ${this.baseUrl} (${cause?.code ?? 'no answer'})`,
        503,
      );
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const answer = (parsed ?? {}) as { error?: unknown; message?: unknown; correlation_id?: unknown };
      const message = typeof answer.message === 'string' ? answer.message : `HTTP ${response.status}`;
      const reference =
        typeof answer.correlation_id === 'string' ? ` (correlation id ${answer.correlation_id})` : '';
      throw new ControlError(
        typeof answer.error === 'string' ? answer.error : 'http_error',
        response.status >= 500 ? `${method} ${url}: ${message}${reference}` : message,
        response.status,
      );
    }
    if (parsed === undefined)
      throw new ControlError('not_json', `${method} ${url} did not answer JSON`, response.status);
    return parsed as T;
  }

  private static account(email: string): string {
    return `/accounts/${encodeURIComponent(email)}`;
  }

  async listAccounts(): Promise<AccountView[]> {
    return (await this.call<{ accounts: AccountView[] }>('GET', '/accounts')).accounts;
  }

  showAccount(email: string): Promise<AccountView> {
    return this.call('GET', ControlClient.account(email));
  }

  createAccount(input: AccountInput): Promise<AccountView> {
    return this.call('POST', '/accounts', input);
  }

  updateAccount(email: string, changes: AccountInput): Promise<AccountView> {
    return this.call('PATCH', ControlClient.account(email), changes);
  }

  deleteAccount(email: string): Promise<void> {
    return this.call('DELETE', ControlClient.account(email));
  }

  lock(email: string): Promise<AccountView> {
    return this.call('POST', `${ControlClient.account(email)}/lock`);
  }

  unlock(email: string): Promise<AccountView> {
    return this.call('POST', `${ControlClient.account(email)}/unlock`);
  }

  scenarios(): Promise<{ scenarios: ScenarioView[]; armed: ArmedView[] }> {
    return this.call('GET', '/scenarios');
  }

  armNextSignIn(scenario: string, account?: string): Promise<ArmedView> {
    return this.call('POST', '/next-sign-in', account === undefined ? { scenario } : { scenario, account });
  }

  disarm(account?: string): Promise<{ disarmed: number }> {
    const query = account === undefined ? '' : `?${new URLSearchParams({ account })}`;
    return this.call('DELETE', `/next-sign-in${query}`);
  }

  async attempts(filter: { email?: string; limit?: number }): Promise<AttemptView[]> {
    const query = new URLSearchParams();
    if (filter.email !== undefined) query.set('email', filter.email);
    if (filter.limit !== undefined) query.set('limit', String(filter.limit));
    const suffix = query.size > 0 ? `?${query}` : '';
    return (await this.call<{ attempts: AttemptView[] }>('GET', `/attempts${suffix}`)).attempts;
  }

  reset(): Promise<{ reset: boolean; accounts: number }> {
    return this.call('POST', '/reset');
  }
}
