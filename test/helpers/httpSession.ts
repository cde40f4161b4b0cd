// A scripted browser without a browser: real HTTP with a cookie jar, redirects followed by hand (each
// hop visible to the test), and HTML forms submitted the way a browser would.
import * as cheerio from 'cheerio';
import { CookieJar } from 'tough-cookie';

export interface Page {
  status: number;
  url: string;
  headers: Headers;
  body: string;
  $: cheerio.CheerioAPI;
  /** Every URL visited on the way, redirects included. */
  trail: string[];
}

export class HttpSession {
  readonly jar = new CookieJar();

  async request(
    url: string,
    init: {
      method?: string;
      form?: Record<string, string>;
      headers?: Record<string, string>;
      follow?: boolean;
    } = {},
  ): Promise<Page> {
    const trail: string[] = [];
    let current = url;
    let method = init.method ?? (init.form ? 'POST' : 'GET');
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined;
    for (let hop = 0; hop < 20; hop += 1) {
      trail.push(current);
      const headers: Record<string, string> = { ...init.headers };
      const cookie = await this.jar.getCookieString(current);
      if (cookie) headers.cookie = cookie;
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const response = await fetch(current, { method, headers, body, redirect: 'manual' });
      for (const setCookie of response.headers.getSetCookie()) {
        await this.jar.setCookie(setCookie, current, { ignoreError: true });
      }
      const location = response.headers.get('location');
      if (location && response.status >= 300 && response.status < 400 && init.follow !== false) {
        await response.arrayBuffer();
        current = new URL(location, current).href;
        if (response.status !== 307 && response.status !== 308) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      const text = await response.text();
      return {
        status: response.status,
        url: current,
        headers: response.headers,
        body: text,
        $: cheerio.load(text),
        trail,
      };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  get(url: string, options: { follow?: boolean } = {}): Promise<Page> {
    return this.request(url, options);
  }

  /** Submits the form matched by `selector` on `page` with its hidden fields plus `fields`. */
  submit(
    page: Page,
    selector: string,
    fields: Record<string, string> = {},
    options: { follow?: boolean } = {},
  ): Promise<Page> {
    const form = page.$(selector).first();
    if (form.length === 0)
      throw new Error(`no form ${selector} on ${page.url}:\n${page.$('main').text().trim().slice(0, 500)}`);
    const values: Record<string, string> = {};
    form.find('input[type=hidden]').each((_index, element) => {
      const name = page.$(element).attr('name');
      if (name) values[name] = page.$(element).attr('value') ?? '';
    });
    const action = new URL(form.attr('action') ?? page.url, page.url).href;
    return this.request(action, {
      method: (form.attr('method') ?? 'GET').toUpperCase(),
      form: { ...values, ...fields },
      ...options,
    });
  }
}

/** The visible text of the page's main content, whitespace folded. */
export function mainText(page: Page): string {
  return page.$('main').text().replace(/\s+/g, ' ').trim();
}
