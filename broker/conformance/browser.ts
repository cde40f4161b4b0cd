// A browser without a browser, for driving sign-ins black-box: real HTTP with a cookie jar, redirects
// followed one hop at a time, and HTML forms submitted as a browser would (hidden fields included).
import * as cheerio from 'cheerio';
import { CookieJar } from 'tough-cookie';

export interface Page {
  status: number;
  url: string;
  headers: Headers;
  body: string;
  $: cheerio.CheerioAPI;
}

export interface Credentials {
  user: string;
  password: string;
}

export interface BrowseOutcome {
  /** The URL the browser was sent to under `stopAt` (an authorization response), if it got there. */
  callback: URL | undefined;
  /** The page it stopped on otherwise. */
  page: Page | undefined;
  /** Whether a password form was shown (and filled in) on the way. */
  sawLoginForm: boolean;
  /** Every page and redirect the browser received, for header checks. */
  visited: Page[];
}

const maximumHops = 30;
/** A deployment that stops answering fails the check at hand instead of hanging the run. */
export const requestTimeoutMs = 30_000;

export class Browser {
  #jar = new CookieJar();

  /** One request, no redirect followed; cookies sent and kept. */
  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Page> {
    const headers: Record<string, string> = { accept: 'text/html,application/xhtml+xml' };
    const cookie = await this.#jar.getCookieString(url);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    for (const setCookie of response.headers.getSetCookie())
      await this.#jar.setCookie(setCookie, url, { ignoreError: true });
    const text = await response.text();
    return { status: response.status, url, headers: response.headers, body: text, $: cheerio.load(text) };
  }

  /** Submits the first form matching `selector` with its hidden fields plus `fields`; no redirect followed. */
  submit(page: Page, selector: string, fields: Record<string, string> = {}): Promise<Page> {
    const form = page.$(selector).first();
    if (form.length === 0) throw new Error(`no form ${selector} on ${page.url}`);
    const values: Record<string, string> = {};
    form.find('input[type=hidden]').each((_index, element) => {
      const name = page.$(element).attr('name');
      if (name) values[name] = page.$(element).attr('value') ?? '';
    });
    const action = new URL(form.attr('action') ?? page.url, page.url).href;
    const method = (form.attr('method') ?? 'GET').toUpperCase();
    const data = { ...values, ...fields };
    if (method === 'GET') {
      const target = new URL(action);
      for (const [name, value] of Object.entries(data)) target.searchParams.set(name, value);
      return this.request(target.href);
    }
    return this.request(action, { method, form: data });
  }

  /**
   * Follows redirects from `url`, filling in the first password form with `credentials`, and stops
   * before loading anything under `stopAt` (the client's redirect URI, which need not be reachable).
   */
  async browse(url: string, stopAt: string, credentials?: Credentials): Promise<BrowseOutcome> {
    const visited: Page[] = [];
    let sawLoginForm = false;
    let page = await this.request(url);
    for (let hop = 0; hop < maximumHops; hop += 1) {
      visited.push(page);
      const location = page.headers.get('location');
      if (location && page.status >= 300 && page.status < 400) {
        const next = new URL(location, page.url);
        if (next.href.startsWith(stopAt)) return { callback: next, page: undefined, sawLoginForm, visited };
        page = await this.request(next.href);
        continue;
      }
      const loginForm = page.$('form:has(input[type=password])');
      if (loginForm.length === 0 || !credentials || sawLoginForm)
        return { callback: undefined, page, sawLoginForm, visited };
      sawLoginForm = true;
      page = await this.submit(page, 'form:has(input[type=password])', loginFields(page, credentials));
    }
    throw new Error(`more than ${maximumHops} redirects from ${url}`);
  }
}

/** The user goes in the form's first visible text or email field, the password in its password field. */
function loginFields(page: Page, credentials: Credentials): Record<string, string> {
  const form = page.$('form:has(input[type=password])').first();
  const userField = form
    .find('input')
    .filter((_index, element) => ['text', 'email', undefined].includes(page.$(element).attr('type')))
    .first()
    .attr('name');
  const passwordField = form.find('input[type=password]').first().attr('name');
  if (!userField || !passwordField) throw new Error(`the sign-in form on ${page.url} has no user field`);
  return { [userField]: credentials.user, [passwordField]: credentials.password };
}
