// broker/upstream/upstreamFetch.ts, the connector's requests to NHSmail: what openid-client gets back
// is what the global fetch would give it (a Response, or fetch's errors), against real local servers.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { upstreamFetch } from '../../broker/upstream/upstreamFetch.ts';
import { closeServer, listen, portOf } from '../../shared/http/serve.ts';
import { selfSignedCertificate } from '../helpers/topology.ts';

async function server(t: import('ava').ExecutionContext, handler: http.RequestListener) {
  const listening = await listen(handler, 0, '127.0.0.1');
  t.teardown(() => closeServer(listening, 0));
  return `http://127.0.0.1:${portOf(listening)}`;
}

test('a form POST arrives as sent, and the answer is a Response with its status, headers and body', async (t) => {
  let received: { method?: string; type?: string; length?: string; body: string } = { body: '' };
  const url = await server(t, (request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      received = {
        method: request.method,
        type: request.headers['content-type'],
        length: request.headers['content-length'],
        body,
      };
      response.setHeader('content-type', 'application/json');
      response.setHeader('set-cookie', ['a=1', 'b=2']);
      response.statusCode = 400;
      response.end('{"error":"invalid_grant"}');
    });
  });
  const form = new URLSearchParams({ grant_type: 'authorization_code', code: 'abc é' });
  const answer = await upstreamFetch(`${url}/token`, {
    method: 'POST',
    headers: { accept: 'application/json' },
    body: form,
    redirect: 'manual',
  });
  t.is(received.method, 'POST');
  t.is(received.type, 'application/x-www-form-urlencoded;charset=UTF-8');
  t.is(received.body, form.toString());
  t.is(received.length, String(Buffer.byteLength(form.toString())));
  t.true(answer instanceof Response);
  t.is(answer.status, 400);
  t.is(answer.headers.get('content-type'), 'application/json');
  t.deepEqual(answer.headers.getSetCookie(), ['a=1', 'b=2']);
  t.deepEqual(await answer.json(), { error: 'invalid_grant' });
});

test('a 204 answer has no body', async (t) => {
  const url = await server(t, (_request, response) => {
    response.statusCode = 204;
    response.end();
  });
  const answer = await upstreamFetch(url, {
    method: 'GET',
    headers: {},
    body: undefined,
    redirect: 'manual',
  });
  t.is(answer.status, 204);
  t.is(answer.body, null);
});

test('no answer in time rejects with the signal’s TimeoutError', async (t) => {
  const url = await server(t, () => {
    // never answers
  });
  const error = await t.throwsAsync(
    upstreamFetch(url, {
      method: 'GET',
      headers: {},
      body: undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(200),
    }),
  );
  t.is(error?.name, 'TimeoutError');
});

test('a refused connection rejects like fetch: TypeError "fetch failed" with the socket error as cause', async (t) => {
  const closed = await listen(() => {}, 0, '127.0.0.1');
  const port = portOf(closed);
  await closeServer(closed, 0);
  const error = await t.throwsAsync(
    upstreamFetch(`http://127.0.0.1:${port}/`, {
      method: 'GET',
      headers: {},
      body: undefined,
      redirect: 'manual',
    }),
    { instanceOf: TypeError, message: 'fetch failed' },
  );
  t.is((error?.cause as NodeJS.ErrnoException | undefined)?.code, 'ECONNREFUSED');
});

test('a kept-alive connection the server drops is not the sign-in’s failure: the request goes again on a new one', async (t) => {
  // A bare HTTP/1.1 server without a Keep-Alive hint that answers once per connection and resets the
  // connection when a second request arrives on it, as a server does after its idle timeout.
  const sockets = new Set<net.Socket>();
  const raw = net.createServer((socket) => {
    sockets.add(socket);
    let requests = 0;
    socket.on('data', () => {
      requests += 1;
      if (requests > 1) {
        socket.resetAndDestroy();
        return;
      }
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok');
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => raw.close(() => resolve()));
  });
  const url = `http://127.0.0.1:${(raw.address() as net.AddressInfo).port}/`;
  const get = () => upstreamFetch(url, { method: 'GET', headers: {}, body: undefined, redirect: 'manual' });
  t.is(await (await get()).text(), 'ok');
  t.is(await (await get()).text(), 'ok');
  t.is(sockets.size, 2, 'the second request was sent again on a new connection');
});

/**
 * Runs upstreamFetch in a child process with `env` (proxy and CA variables are read at start-up): its
 * exit code, and what it printed, `ok <status> <body>` or the error with its cause's code.
 */
async function fetchInChild(
  url: string,
  env: NodeJS.ProcessEnv,
  request: { method: string; body?: string } = { method: 'GET' },
) {
  const init = { method: request.method, headers: {}, body: request.body, redirect: 'manual' };
  const script = `
    import { upstreamFetch } from ${JSON.stringify(new URL('../../broker/upstream/upstreamFetch.ts', import.meta.url).href)};
    try {
      const answer = await upstreamFetch(${JSON.stringify(url)}, ${JSON.stringify(init)});
      process.stdout.write('ok ' + answer.status + ' ' + await answer.text());
    } catch (error) {
      process.stdout.write('error ' + error.name + ': ' + error.message + ' / ' + error.cause?.code);
    }
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const [code] = await once(child, 'exit');
  return { code, output };
}

test('with NODE_USE_ENV_PROXY=1 the requests go through HTTP_PROXY, as the global fetch’s do', async (t) => {
  const seen: string[] = [];
  const proxy = await server(t, (request, response) => {
    seen.push(request.url ?? '');
    response.setHeader('content-type', 'application/json');
    response.end('{"via":"proxy"}');
  });
  const { code, output } = await fetchInChild(
    'http://nhsmail.invalid/token',
    { ...process.env, NODE_USE_ENV_PROXY: '1', HTTP_PROXY: proxy, NO_PROXY: '' },
    { method: 'POST', body: 'a=1' },
  );
  t.is(code, 0);
  t.is(output, 'ok 200 {"via":"proxy"}');
  t.deepEqual(seen, ['http://nhsmail.invalid/token']);
});

test('over https the server certificate is checked: trusted, the answer; untrusted, fetch failed', async (t) => {
  const directory = await mkdtemp(path.join(tmpdir(), 'cqrs-upstream-tls-'));
  t.teardown(() => rm(directory, { recursive: true, force: true }));
  const tls = await selfSignedCertificate(directory);
  const secure = https.createServer({ cert: tls.pem, key: await readFile(tls.key) }, (_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end('{"over":"tls"}');
  });
  await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
  t.teardown(() => closeServer(secure as unknown as http.Server, 0));
  const url = `https://127.0.0.1:${(secure.address() as net.AddressInfo).port}/.well-known/openid-configuration`;
  const { NODE_EXTRA_CA_CERTS: _ignored, ...environment } = process.env;

  t.is(
    (await fetchInChild(url, { ...environment, NODE_EXTRA_CA_CERTS: tls.certificate })).output,
    'ok 200 {"over":"tls"}',
  );
  t.is(
    (await fetchInChild(url, environment)).output,
    'error TypeError: fetch failed / DEPTH_ZERO_SELF_SIGNED_CERT',
    'a certificate nobody vouches for is refused',
  );
});
