// A lean scripted browser for the benchmark: real HTTP with a cookie jar, redirects followed hop by
// hop, and the one HTML form it needs read with a few patterns instead of a DOM, so the load generator
// costs little CPU on the machine it measures.
import { CookieJar } from 'tough-cookie';

export interface Response {
  status: number;
  url: string;
  location: string | undefined;
  body: string;
}

const requestTimeoutMs = 30_000;

/** Runs one HTTP request (`send`); what it adds around it is the observer's (phases.ts). */
export type RequestObserver = <T>(
  request: { method: string; url: string },
  send: () => Promise<T>,
) => Promise<T>;

export const unobserved: RequestObserver = (_request, send) => send();

export class Browser {
  readonly #jar = new CookieJar();
  readonly #observe: RequestObserver;

  constructor(observe: RequestObserver = unobserved) {
    this.#observe = observe;
  }

  /** One request, no redirect followed; cookies sent and stored as a browser would. */
  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = await this.#jar.getCookieString(url);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const method = init.method ?? (body ? 'POST' : 'GET');
    const { response, text } = await this.#observe({ method, url }, async () => {
      const answer = await fetch(url, {
        method,
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      return { response: answer, text: await answer.text() };
    });
    for (const setCookie of response.headers.getSetCookie()) {
      await this.#jar.setCookie(setCookie, url, { ignoreError: true });
    }
    const location = response.headers.get('location');
    return {
      status: response.status,
      url,
      location: location ? new URL(location, url).href : undefined,
      body: text,
    };
  }

  /**
   * Follows redirects from `response` until a page answers, or until the next hop would leave for a
   * URL starting with `stopAt` (the client's redirect URI, which the benchmark reads itself).
   */
  async follow(response: Response, stopAt: string): Promise<Response> {
    let current = response;
    for (let hop = 0; hop < 20; hop += 1) {
      if (!current.location || current.status < 300 || current.status >= 400) return current;
      if (current.location.startsWith(stopAt)) return current;
      current = await this.request(current.location);
    }
    throw new Error(`more than 20 redirects after ${response.url}`);
  }
}

export interface HtmlForm {
  action: string;
  method: string;
  hidden: Record<string, string>;
}

function decodeEntities(text: string): string {
  return text.replace(/&(#\d+|#x[0-9a-f]+|amp|lt|gt|quot|apos);/gi, (_match, entity: string) => {
    const lower = entity.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(Number.parseInt(lower.slice(2), 16));
    if (lower.startsWith('#')) return String.fromCodePoint(Number(lower.slice(1)));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[lower] ?? '';
  });
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i').exec(tag);
  return match ? decodeEntities(match[2] ?? match[3] ?? '') : undefined;
}

/** The first form on `page` that has a field named `fieldName`, with its hidden fields. */
export function findForm(page: Response, fieldName: string): HtmlForm {
  for (const match of page.body.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const [, formTag = '', inner = ''] = match;
    const inputs = [...inner.matchAll(/<input\b[^>]*>/gi)].map((input) => input[0]);
    if (!inputs.some((input) => attribute(input, 'name') === fieldName)) continue;
    const hidden: Record<string, string> = {};
    for (const input of inputs) {
      const name = attribute(input, 'name');
      if (name && attribute(input, 'type')?.toLowerCase() === 'hidden')
        hidden[name] = attribute(input, 'value') ?? '';
    }
    return {
      action: new URL(attribute(formTag, 'action') ?? page.url, page.url).href,
      method: (attribute(formTag, 'method') ?? 'GET').toUpperCase(),
      hidden,
    };
  }
  const title = /<title>([^<]*)<\/title>/i.exec(page.body)?.[1]?.trim() ?? 'no title';
  throw new Error(
    `no form with a ${fieldName} field at ${new URL(page.url).pathname} (${page.status}, "${title}")`,
  );
}
