// Signed cookies through shared/http/cookieKeys.ts: what a browser holds is what keygrip would have
// signed, so cookies set before the change (or by an instance still running the old code) stay valid;
// a cookie signed by a retired secret, or edited, is treated as absent.
import test from 'ava';
import Keygrip from 'keygrip';
import Koa from 'koa';
import { signedCookieKeys } from '../../shared/http/cookieKeys.ts';
import { closeServer, listen, portOf } from '../../shared/http/serve.ts';

const current = 'current-secret-0123456789abcdef';
const previous = 'previous-secret-0123456789abcdef';

/** A Koa app that sets a signed cookie on /set and answers the signed value it reads on /get. */
async function cookieServer(t: import('ava').ExecutionContext, keys: Koa['keys']) {
  const app = new Koa();
  app.keys = keys;
  app.use((ctx) => {
    if (ctx.path === '/set') {
      ctx.cookies.set('marker', 'hello', { signed: true });
      ctx.body = 'set';
      return;
    }
    ctx.body = ctx.cookies.get('marker', { signed: true }) ?? '(none)';
  });
  const server = await listen(app.callback(), 0, '127.0.0.1');
  t.teardown(() => closeServer(server));
  return `http://127.0.0.1:${portOf(server)}`;
}

/** The cookie pairs (`name=value`) a response sets, joined as a browser would send them back. */
function cookieHeader(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
}

async function read(url: string, cookie: string): Promise<string> {
  return (await fetch(`${url}/get`, { headers: { cookie } })).text();
}

test('a cookie signed with keygrip and the same secrets is read back', async (t) => {
  const url = await cookieServer(t, signedCookieKeys([current, previous]));
  const signature = new Keygrip([current]).sign('marker=hello');
  t.is(await read(url, `marker=hello; marker.sig=${signature}`), 'hello');
  const byPrevious = new Keygrip([previous]).sign('marker=hello');
  t.is(
    await read(url, `marker=hello; marker.sig=${byPrevious}`),
    'hello',
    'the previous secret still verifies',
  );
});

test('the cookie it signs is one keygrip accepts, signed by the first secret', async (t) => {
  const url = await cookieServer(t, signedCookieKeys([current, previous]));
  const cookie = cookieHeader(await fetch(`${url}/set`));
  const signature = /marker\.sig=([^;]+)/.exec(cookie)?.[1] ?? '';
  t.is(new Keygrip([current, previous]).index('marker=hello', signature), 0);
  const plainKeygrip = await cookieServer(t, [current, previous]);
  t.is(await read(plainKeygrip, cookie), 'hello');
});

test('an edited value, a retired secret, a short or missing signature: no cookie', async (t) => {
  const url = await cookieServer(t, signedCookieKeys([current]));
  const signature = new Keygrip([current]).sign('marker=hello');
  t.is(await read(url, `marker=hellO; marker.sig=${signature}`), '(none)');
  const retired = new Keygrip([previous]).sign('marker=hello');
  t.is(await read(url, `marker=hello; marker.sig=${retired}`), '(none)');
  t.is(await read(url, `marker=hello; marker.sig=${signature.slice(0, -1)}`), '(none)');
  t.is(await read(url, 'marker=hello'), '(none)');
});

test('the secrets are kept in order and at least one is needed', (t) => {
  t.deepEqual(signedCookieKeys([current, previous]).secrets, [current, previous]);
  t.throws(() => signedCookieKeys([]), { message: /at least one cookie secret/ });
});
