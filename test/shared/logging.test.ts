// No secret, token, code or stack trace reaches a log line: a whole journey, failures included, is run
// with every service logging at debug level, and the lines are searched for what must not be there.
import { captureLogs } from '../helpers/logCapture.ts';
import test from 'ava';
import { seededPassword } from '../../seeds/personas.ts';
import { createLogger, summariseError } from '../../shared/logger.ts';
import { armScenario, openNhsmailSignIn, signInAs, submitCredentials } from '../helpers/flows.ts';
import { startSystem } from '../helpers/system.ts';

test('a journey with failures logs no password, code, token, cookie or stack trace', async (t) => {
  const { destination, lines } = captureLogs();
  const system = await startSystem({ logDestination: destination });
  try {
    const { session, page } = await signInAs(system, 'jane.smith@nhs.net');
    t.is(page.url, `${system.appUrl}/messages`);
    const wrong = await openNhsmailSignIn(system);
    await submitCredentials(wrong.session, wrong.page, 'jane.smith@nhs.net', 'Not-the-Passw0rd');
    await armScenario(system, 'bad_signature', 'tom.jones@nhs.net');
    await signInAs(system, 'tom.jones@nhs.net');
    await signInAs(system, 'no.cqrs@nhs.net');
    const codes = page.trail
      .map((url) => new URL(url).searchParams.get('code'))
      .filter((code): code is string => Boolean(code));
    t.true(codes.length >= 2, 'the journey carried authorization codes');
    const cookies = (await session.jar.getCookies(system.appUrl)).map((cookie) => cookie.value);
    t.true(lines.length > 20, 'the services logged the journey');
    const log = lines.join('\n');
    for (const secret of [seededPassword, 'Not-the-Passw0rd', system.controlToken, ...codes, ...cookies]) {
      t.false(log.includes(secret), `a log line contains ${secret.slice(0, 4)}…`);
    }
    t.false(/"stack"|\n\s+at /.test(log), 'no stack trace in the logs');
    t.false(/eyJ[A-Za-z0-9_-]+\.eyJ/.test(log), 'no JWT in the logs');
  } finally {
    await system.close();
  }
});

test('errors are summarised to type, code and message, causes included', (t) => {
  const cause = Object.assign(new Error('signature verification failed'), {
    code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  });
  const error = Object.assign(new Error('invalid_response: id_token'), {
    status: 502,
    payload: { email: 'x@nhs.net' },
    cause,
  });
  t.deepEqual(summariseError(error), {
    type: 'Error',
    message: 'invalid_response: id_token',
    status: 502,
    cause: {
      type: 'Error',
      message: 'signature verification failed',
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    },
  });
});

// Authorization codes are redacted where they occur; a field merely named `code` is not.
test('authorization codes are redacted in query strings and token request bodies, error codes stay', (t) => {
  const { destination, lines } = captureLogs();
  const logger = createLogger('test', 'info', destination);
  logger.warn(
    { url: 'https://broker.example/upstream/callback?code=SECRET-CODE-1&state=SECRET-STATE', status: 400 },
    'callback refused',
  );
  logger.info({ body: { grant_type: 'authorization_code', code: 'SECRET-CODE-2' } }, 'token request');
  logger.info({ request: { query: { code: 'SECRET-CODE-3' } } }, 'callback');
  logger.info('redirect to /cb?code=SECRET-CODE-4&iss=x');
  const signature = Object.assign(new Error('signature verification failed'), {
    code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  });
  logger.warn(
    { err: new Error('upstream sign-in failed', { cause: signature }), code: 'no_account' },
    'refused',
  );
  const log = lines.join('\n');
  for (const secret of ['SECRET-CODE-1', 'SECRET-STATE', 'SECRET-CODE-2', 'SECRET-CODE-3', 'SECRET-CODE-4'])
    t.false(log.includes(secret), secret);
  const [callback, , , redirect, refused] = lines.map((line) => JSON.parse(line));
  t.is(callback.url, 'https://broker.example/upstream/callback?code=[redacted]&state=[redacted]');
  t.is(redirect.msg, 'redirect to /cb?code=[redacted]&iss=x');
  t.is(refused.code, 'no_account', 'an outcome code is not an authorization code');
  t.is(refused.err.cause.code, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'error codes stay visible');
});

test('an upstream validation failure is logged with its error code', async (t) => {
  const { destination, lines } = captureLogs();
  const system = await startSystem({ logDestination: destination });
  try {
    await armScenario(system, 'bad_signature', 'tom.jones@nhs.net');
    await signInAs(system, 'tom.jones@nhs.net');
    const failure = lines
      .map((line) => JSON.parse(line) as { msg?: string; err?: { code?: string } })
      .find((line) => line.msg === 'sign-in refused');
    t.is(failure?.err?.code, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  } finally {
    await system.close();
  }
});
