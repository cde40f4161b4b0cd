// Back-channel logout, as the OpenID Foundation's back-channel logout plan checks it, for a client whose
// registered backchannel_logout_uri reaches this machine: a listener on loopback receives the logout
// token the provider posts at sign-out, and jose verifies it (signature, iss, aud, typ, events, sid).
import http from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { expect } from './checks.ts';
import type { Target } from './target.ts';

const backchannelEvent = 'http://schemas.openid.net/event/backchannel-logout';

export interface LogoutTokenListener {
  /** The next logout_token posted, or undefined when none arrives within `timeoutMs`. */
  next(timeoutMs: number): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Answers every POST with 200 and keeps its `logout_token` form field. */
export async function listenForLogoutTokens(port: number): Promise<LogoutTokenListener> {
  const tokens: string[] = [];
  const waiting: Array<(token: string) => void> = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('logout_token');
      response.writeHead(request.method === 'POST' && token ? 200 : 400, { 'cache-control': 'no-store' });
      response.end();
      if (request.method !== 'POST' || !token) return;
      const waiter = waiting.shift();
      if (waiter) waiter(token);
      else tokens.push(token);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    next(timeoutMs) {
      const queued = tokens.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(deliver), 1);
          resolve(undefined);
        }, timeoutMs);
        const deliver = (token: string) => {
          clearTimeout(timer);
          resolve(token);
        };
        waiting.push(deliver);
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Checks a logout token for the session that was signed out; returns the PASS detail. */
export async function verifyLogoutToken(
  target: Target,
  token: string,
  session: { sub: string | undefined; sid: string | undefined },
): Promise<string> {
  const jwks = createRemoteJWKSet(new URL(target.metadata.jwks_uri ?? ''));
  const { payload } = await jwtVerify(token, jwks, {
    issuer: target.metadata.issuer,
    audience: target.options.clientId,
    algorithms: ['RS256'],
    typ: 'logout+jwt',
    maxTokenAge: '5m',
    requiredClaims: ['iat', 'jti'],
  });
  const events = payload.events as Record<string, unknown> | undefined;
  expect(events && typeof events[backchannelEvent] === 'object', 'no back-channel logout event');
  expect(!('nonce' in payload), 'a logout token must not carry a nonce');
  expect(session.sid !== undefined, 'the id_token had no sid, so the token cannot name the session');
  expect(payload.sid === session.sid, 'the logout token names another session (sid)');
  expect(payload.sub === undefined || payload.sub === session.sub, 'the logout token names another user');
  return 'a verified logout token (RS256, typ logout+jwt, events, sid of the session)';
}
