// What the issuer tells the log. oidc-provider answers its own endpoints' errors itself (a page with the
// correlation id, or an OAuth error body), so without these listeners the help desk would find nothing
// under the id a user reads out. Error codes and descriptions only: never tokens, codes or secrets.
import type { errors, KoaContextWithOIDC } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { Logger } from '../../shared/logger.ts';

function correlationIdOf(ctx: KoaContextWithOIDC | undefined): string | undefined {
  const id = ctx?.state?.correlationId;
  return typeof id === 'string' ? id : undefined;
}

export function logIssuerEvents(provider: Provider, logger: Logger): void {
  const refused = (event: string) => (ctx: KoaContextWithOIDC, error: errors.OIDCProviderError) => {
    logger.warn(
      {
        correlationId: correlationIdOf(ctx),
        event,
        clientId: ctx.oidc?.client?.clientId,
        error: error.error,
        description: error.error_description,
      },
      'issuer refused a request',
    );
  };
  provider.on('authorization.error', refused('authorization.error'));
  provider.on('grant.error', refused('grant.error'));
  provider.on('end_session.error', refused('end_session.error'));
  provider.on('userinfo.error', refused('userinfo.error'));
  provider.on('introspection.error', refused('introspection.error'));
  provider.on('revocation.error', refused('revocation.error'));
  provider.on('server_error', (ctx, error) => {
    logger.error({ correlationId: correlationIdOf(ctx), err: error }, 'issuer server error');
  });
  provider.on('backchannel.success', (ctx, client) => {
    logger.info(
      { correlationId: correlationIdOf(ctx), clientId: client.clientId },
      // Queued in the logout outbox (broker/logout/index.ts); the delivery is audited when it happens.
      'back-channel logout queued',
    );
  });
  provider.on('backchannel.error', (ctx, error, client) => {
    logger.warn(
      { correlationId: correlationIdOf(ctx), clientId: client.clientId, err: error },
      'back-channel logout failed',
    );
  });
}
