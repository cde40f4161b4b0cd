// NHSmail's end_session_endpoint, from the upstream's discovery document, with openid-client building
// the request (OpenID Connect RP-Initiated Logout 1.0 §2): our client_id, the registered
// post_logout_redirect_uri back to the broker, and Entra's logout_hint so that it signs the right
// account out without asking which.
import * as oidc from 'openid-client';
import type { BrokerConfig } from '../config.ts';

export interface UpstreamSignOut {
  url(request: { postLogoutRedirectUri: string; logoutHint: string | undefined }): Promise<URL>;
}

export function upstreamSignOut(settings: BrokerConfig['upstream']): UpstreamSignOut {
  let configuration: Promise<oidc.Configuration> | undefined;
  const discover = () => {
    configuration ??= oidc.discovery(new URL(settings.issuer), settings.clientId, undefined, undefined, {
      execute: settings.allowHttp ? [oidc.allowInsecureRequests] : [],
      timeout: Math.ceil(settings.timeoutMs / 1000),
    });
    // Retried after a failure, as the connector's discovery is.
    configuration.catch(() => {
      configuration = undefined;
    });
    return configuration;
  };
  return {
    async url({ postLogoutRedirectUri, logoutHint }) {
      const discovered = await discover();
      if (!discovered.serverMetadata().end_session_endpoint)
        throw new Error('the upstream publishes no end_session_endpoint');
      return oidc.buildEndSessionUrl(discovered, {
        client_id: settings.clientId,
        post_logout_redirect_uri: postLogoutRedirectUri,
        ...(logoutHint ? { logout_hint: logoutHint } : {}),
      });
    },
  };
}
