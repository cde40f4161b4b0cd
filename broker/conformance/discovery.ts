// Discovery and JWKS, as the OpenID Foundation's Config plan checks them: the required metadata, https
// for a deployment, the code flow only, PKCE S256, RS256 id_tokens, RFC 9207 `iss`, logout metadata,
// and public RSA signing keys that jose can import.
import { importJWK, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { requestTimeoutMs } from './browser.ts';
import { type CheckRecorder, expect } from './checks.ts';
import { allowHttpFor, type ConformanceOptions, createTarget, isLoopback, type Target } from './target.ts';

export const discoveryChecks = [
  'discovery.document',
  'discovery.https',
  'discovery.response-types',
  'discovery.pkce-methods',
  'discovery.signing-algorithms',
  'discovery.iss-parameter',
  'discovery.logout',
  'jwks.keys',
];

const requiredMetadata = [
  'issuer',
  'authorization_endpoint',
  'token_endpoint',
  'jwks_uri',
  'userinfo_endpoint',
  'response_types_supported',
  'subject_types_supported',
  'id_token_signing_alg_values_supported',
] as const;

const privateKeyMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/** Runs the discovery checks; returns the target for the other groups, or undefined if discovery failed. */
export async function checkDiscovery(
  recorder: CheckRecorder,
  options: ConformanceOptions,
): Promise<Target | undefined> {
  let target: Target | undefined;
  await recorder.check('discovery.document', async () => {
    // openid-client checks that the document's issuer is exactly the one asked for.
    const config = await oidc.discovery(
      new URL(options.issuer),
      options.clientId,
      undefined,
      oidc.ClientSecretBasic(options.clientSecret),
      { execute: allowHttpFor(options.issuer) },
    );
    const metadata = config.serverMetadata();
    const missing = requiredMetadata.filter((field) => metadata[field] === undefined);
    expect(missing.length === 0, `missing ${missing.join(', ')}`);
    expect(metadata.scopes_supported?.includes('openid') ?? true, 'scopes_supported lacks openid');
    target = createTarget(options, config);
    return `issuer ${metadata.issuer}`;
  });
  if (!target) {
    for (const name of discoveryChecks.slice(1)) recorder.skip(name, 'no discovery document');
    return undefined;
  }
  const metadata = target.metadata;

  await recorder.check('discovery.https', () => {
    const urls = Object.entries(metadata).filter(
      ([field, value]) =>
        typeof value === 'string' &&
        (field === 'issuer' || field.endsWith('_endpoint') || field === 'jwks_uri'),
    ) as Array<[string, string]>;
    const plain = urls.filter(([, value]) => !value.startsWith('https://'));
    if (plain.length === 0) return `all ${urls.length} endpoint URLs are https`;
    expect(
      plain.every(([, value]) => isLoopback(value)),
      `http on a non-loopback host: ${plain.map(([field]) => field).join(', ')}`,
    );
    return 'http on loopback only (development); a deployment must be https';
  });

  await recorder.check('discovery.response-types', () => {
    const types = metadata.response_types_supported ?? [];
    expect(types.length === 1 && types[0] === 'code', `response_types_supported is ${JSON.stringify(types)}`);
    return 'code only';
  });

  await recorder.check('discovery.pkce-methods', () => {
    const methods = metadata.code_challenge_methods_supported ?? [];
    expect(methods.includes('S256'), `code_challenge_methods_supported is ${JSON.stringify(methods)}`);
    expect(!methods.includes('plain'), 'code_challenge_methods_supported offers plain');
    return `S256 (${methods.join(', ')})`;
  });

  await recorder.check('discovery.signing-algorithms', () => {
    const algorithms = metadata.id_token_signing_alg_values_supported ?? [];
    expect(
      algorithms.includes('RS256'),
      `id_token_signing_alg_values_supported is ${JSON.stringify(algorithms)}`,
    );
    expect(!algorithms.includes('none'), 'id_token_signing_alg_values_supported offers none');
    return algorithms.join(', ');
  });

  await recorder.check('discovery.iss-parameter', () => {
    expect(
      metadata.authorization_response_iss_parameter_supported === true,
      'authorization_response_iss_parameter_supported is not true (RFC 9207)',
    );
    return 'RFC 9207 iss in authorization responses';
  });

  await recorder.check('discovery.logout', () => {
    expect(typeof metadata.end_session_endpoint === 'string', 'no end_session_endpoint');
    expect(metadata.backchannel_logout_supported === true, 'backchannel_logout_supported is not true');
    expect(
      metadata.backchannel_logout_session_supported === true,
      'backchannel_logout_session_supported is not true',
    );
    return 'RP-initiated and back-channel logout with sid';
  });

  await recorder.check('jwks.keys', async () => {
    const response = await fetch(metadata.jwks_uri ?? '', { signal: AbortSignal.timeout(requestTimeoutMs) });
    expect(response.status === 200, `jwks_uri answered ${response.status}`);
    const { keys } = (await response.json()) as { keys?: JWK[] };
    expect(Array.isArray(keys) && keys.length > 0, 'the JWKS has no keys');
    for (const key of keys) {
      expect(typeof key.kid === 'string', 'a key has no kid');
      const secret = privateKeyMembers.filter((member) => member in key);
      expect(secret.length === 0, `key ${key.kid} publishes private parts (${secret.join(', ')})`);
    }
    const signing = keys.filter((key) => key.kty === 'RSA' && key.use !== 'enc' && key.alg !== undefined);
    expect(
      signing.some((key) => key.alg === 'RS256'),
      'no RSA key with alg RS256 for signatures',
    );
    for (const key of signing) await importJWK(key, key.alg);
    return `${keys.length} public key(s), ${signing.length} RSA signing`;
  });
  return target;
}
