// Seeded OAuth clients and development secrets. These secrets are documented in the README for local
// use; every service refuses them when NODE_ENV=production.

/** The CQRS app as a client of the broker (docs/design.md §3). */
export const cqrsAppClient = {
  clientId: 'cqrs-app',
  developmentSecret: 'cqrs-app-development-secret',
  redirectPath: '/auth/callback',
  postLogoutPath: '/',
  backchannelLogoutPath: '/auth/backchannel-logout',
};

/** The broker as a client of the mock NHSmail IdP. */
export const brokerUpstreamClient = {
  clientId: 'cqrs-broker',
  developmentSecret: 'cqrs-broker-development-secret',
  redirectPath: '/upstream/callback',
};

/** Bearer token for the mock IdP's /_mock control API in development. */
export const developmentControlToken = 'mock-control-development-token';
