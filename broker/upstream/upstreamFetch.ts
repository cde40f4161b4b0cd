// The requests the connector makes to NHSmail (discovery, the key set, the token endpoint), sent
// through openid-client's and jose's customFetch seams over node:http and node:https with kept-alive
// connections. Every sign-in redeems one code; in the broker's profile that request took 8.8 % of its
// CPU through the global fetch (undici, WHATWG streams) and 4.4 % through node:http (README.md,
// "Benchmark"). The answer is a standard Response, and failures look like fetch's: a TypeError
// "fetch failed" whose cause is the socket error, or the abort signal's reason.
import http from 'node:http';
import https from 'node:https';
import type { CustomFetch, CustomFetchOptions } from 'openid-client';

// Statuses whose Response must have no body (Fetch standard, "null body status").
const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);

// Node's global agents keep connections alive (closing an idle one before the server's announced
// Keep-Alive timeout) and, like the global fetch, go through HTTP_PROXY/HTTPS_PROXY/NO_PROXY when
// NODE_USE_ENV_PROXY=1 is set.
const transports: Record<string, typeof http | typeof https | undefined> = { 'http:': http, 'https:': https };

function fetchFailed(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

/** True for the error a kept-alive connection gives when the server closed it while idle. */
function closedWhileIdle(request: http.ClientRequest, error: NodeJS.ErrnoException): boolean {
  return request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
}

function asResponse(response: http.IncomingMessage, body: Buffer): Response {
  const status = response.statusCode ?? 0;
  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2)
    headers.append(raw[index] as string, raw[index + 1] as string);
  return new Response(nullBodyStatuses.has(status) ? null : body, {
    status,
    statusText: response.statusMessage,
    headers,
  });
}

/** The request body as bytes or text; openid-client sends forms (URLSearchParams) and JSON text. */
function bodyOf(body: CustomFetchOptions['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof URLSearchParams) return String(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new Error('a streamed request body is not supported');
}

function send(url: URL, init: CustomFetchOptions, retried: boolean): Promise<Response> {
  const { signal } = init;
  const transport = transports[url.protocol];
  if (!transport) return Promise.reject(fetchFailed(new Error(`unsupported protocol ${url.protocol}`)));
  if (signal?.aborted) return Promise.reject(signal.reason);
  let body: string | Uint8Array | undefined;
  try {
    body = bodyOf(init.body);
  } catch (error) {
    return Promise.reject(fetchFailed(error));
  }
  const headers = new Headers(init.headers);
  if (init.body instanceof URLSearchParams && !headers.has('content-type'))
    headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
  if (body !== undefined) headers.set('content-length', String(Buffer.byteLength(body)));
  return new Promise((resolve, reject) => {
    const request = transport.request(url, { method: init.method, headers: Object.fromEntries(headers) });
    const onAbort = () => {
      request.destroy();
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => signal?.removeEventListener('abort', onAbort);
    request.once('error', (error: NodeJS.ErrnoException) => {
      settle();
      if (signal?.aborted) return;
      // Safe to send again: the server closed the connection before it read this request.
      if (!retried && closedWhileIdle(request, error)) resolve(send(url, init, true));
      else reject(fetchFailed(error));
    });
    request.once('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('error', (error) => {
        settle();
        reject(fetchFailed(error));
      });
      response.once('end', () => {
        settle();
        try {
          resolve(asResponse(response, Buffer.concat(chunks)));
        } catch (error) {
          // A status or header a Response cannot hold: the answer is as unusable as no answer.
          reject(fetchFailed(error));
        }
      });
    });
    request.end(body);
  });
}

/** A fetch for openid-client's `customFetch`: same inputs and Response, over node:http(s). */
export const upstreamFetch: CustomFetch = (url, init) => send(new URL(url), init, false);
