// The sign-out settings: defaults, validation that names the variable, and the retry schedule they give.
import test from 'ava';
import { loadConfig } from '../../broker/config.ts';
import { retryDelayMs } from '../../broker/logout/delivery.ts';

test('by default sign-out continues to NHSmail and an app is retried 10 times, from 2 s doubling', (t) => {
  const { logout } = loadConfig({});
  t.true(logout.upstreamEndSession);
  t.is(logout.maxAttempts, 10);
  t.deepEqual(
    Array.from(
      { length: logout.maxAttempts - 1 },
      (_unused, index) => retryDelayMs(logout, index + 1) / 1000,
    ),
    [2, 4, 8, 16, 32, 64, 128, 256, 512],
  );
  t.is(retryDelayMs({ ...logout, retryBaseMs: 60_000 }, 20), 10 * 60 * 1000, 'at most 10 minutes apart');
});

test('a bad sign-out setting is refused with the variable’s name', (t) => {
  t.throws(() => loadConfig({ LOGOUT_MAX_ATTEMPTS: '0' }), { message: /LOGOUT_MAX_ATTEMPTS/ });
  t.throws(() => loadConfig({ UPSTREAM_END_SESSION: 'maybe' }), { message: /UPSTREAM_END_SESSION/ });
  t.false(loadConfig({ UPSTREAM_END_SESSION: 'false' }).logout.upstreamEndSession);
});
