// A tiny Entra-shaped OpenID Provider whose id_token claims each test scripts: for upstream
// misbehaviour the mock IdP has no scenario for (an `iat` in the future, no `email`, `xms_edov`).
// Authorization answers at once with a code (no login page); tokens are signed with jose.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { brokerUpstreamClient } from '../../seeds/clients.ts';
import { mockTenantId } from '../../seeds/personas.ts';

/** The `oid` of the default identity: stable, so that the account it links to keeps matching. */
export const stableObjectId = '0b1c2d3e-4f50-4a61-8b72-9c8d7e6f5a40';

export interface ScriptedUpstream {
  /** The issuer to give the broker as UPSTREAM_ISSUER. */
  issuer: string;
  /** The claims of the next id_tokens: defaults for an active seeded user, then these changes. */
  script(claims: (defaults: JWTPayload) => JWTPayload): void;
  close(): Promise<void>;
}

export async function startScriptedUpstream(): Promise<ScriptedUpstream> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'scripted', alg: 'RS256', use: 'sig' };
  const nonces = new Map<string, string>();
  let shape: (defaults: JWTPayload) => JWTPayload = (defaults) => defaults;
  let issuer = '';

  const idToken = (nonce: string) => {
    const now = Math.floor(Date.now() / 1000);
    const defaults: JWTPayload = {
      iss: issuer,
      aud: brokerUpstreamClient.clientId,
      sub: 'scripted-subject',
      iat: now,
      nbf: now,
      exp: now + 3600,
      nonce,
      ver: '2.0',
      tid: mockTenantId,
      oid: stableObjectId,
      name: 'Jane Smith',
      preferred_username: 'jane.smith@nhs.net',
      email: 'jane.smith@nhs.net',
    };
    return new SignJWT(shape(defaults))
      .setProtectedHeader({ alg: 'RS256', kid: publicJwk.kid, typ: 'JWT' })
      .sign(privateKey);
  };

  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', issuer);
    const json = (body: unknown) => {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify(body));
    };
    if (url.pathname.endsWith('/.well-known/openid-configuration')) {
      return json({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/keys`,
        response_types_supported: ['code'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (url.pathname.endsWith('/keys')) return json({ keys: [publicJwk] });
    if (url.pathname.endsWith('/authorize')) {
      const code = randomUUID();
      nonces.set(code, url.searchParams.get('nonce') ?? '');
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      response.writeHead(302, { location: back.href });
      return response.end();
    }
    if (url.pathname.endsWith('/token') && request.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const code = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('code') ?? '';
      const nonce = nonces.get(code);
      nonces.delete(code);
      if (nonce === undefined) {
        response.writeHead(400, { 'content-type': 'application/json' });
        return response.end(JSON.stringify({ error: 'invalid_grant' }));
      }
      return json({
        access_token: randomUUID(),
        token_type: 'Bearer',
        expires_in: 3600,
        id_token: await idToken(nonce),
      });
    }
    response.writeHead(404);
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${mockTenantId}/v2.0`;
  return {
    issuer,
    script(claims) {
      shape = claims;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
