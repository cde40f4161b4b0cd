// The upstream identity provider seam. A connector sends the browser to the IdP and turns its callback
// into a normalised identity; upstream tokens stay inside the connector and never reach downstream apps.

export interface UpstreamIdentity {
  tenantId: string;
  objectId: string;
  /** The `email` claim only: never `preferred_username` or `upn`, which users or admins can change. */
  email: string | undefined;
  /**
   * Entra's `xms_edov` ("email domain owner verified"): false when the tenant has not proved it owns
   * the email's domain; undefined when the IdP does not say.
   */
  emailDomainVerified?: boolean | undefined;
  name: string | undefined;
  /** The upstream id_token's `sid`: front-channel logout names the session by it. */
  sessionId: string | undefined;
  /** The upstream issuer, the `iss` of front-channel logout requests. */
  issuer: string;
  /** Entra's optional `login_hint` claim, sent back as end_session's `logout_hint`. */
  loginHint?: string | undefined;
}

export interface SignInRequest {
  /** The broker's callback URL registered at the IdP. */
  redirectUri: string;
  /** The `state` to send: the broker's key for this sign-in, checked again at the callback. */
  state: string;
  /** Ask the IdP to re-authenticate even with a session (downstream prompt=login or max_age). */
  forceLogin: boolean;
  loginHint?: string | undefined;
}

/**
 * Where to send the browser, and what the connector needs back at the callback: its own data
 * (nonce, PKCE verifier…), JSON-serialisable and opaque to the broker, which only stores it.
 */
export interface StartedSignIn {
  url: URL;
  connectorData: unknown;
}

export interface UpstreamConnector {
  readonly type: string;
  startSignIn(request: SignInRequest): Promise<StartedSignIn>;
  finishSignIn(
    callbackUrl: URL,
    pending: { state: string; connectorData: unknown },
  ): Promise<UpstreamIdentity>;
  /** Whether the IdP's metadata (discovery) is loaded, loading it if not: the broker's readiness. */
  ready(): Promise<boolean>;
}

/**
 * Why an upstream sign-in did not produce an identity:
 * - `cancelled`: the user cancelled or declined (access_denied, AADSTS65004);
 * - `denied`: the IdP refused the user for this app (e.g. AADSTS50105, AADSTS53003);
 * - `unavailable`: the IdP failed or did not answer in time;
 * - `invalid_response`: the IdP's answer failed validation (signature, iss, aud, nonce, exp, tenant…).
 */
export type UpstreamFailureKind = 'cancelled' | 'denied' | 'unavailable' | 'invalid_response';

export class UpstreamError extends Error {
  override name = 'UpstreamError';
  readonly kind: UpstreamFailureKind;
  /** The IdP's error code (e.g. AADSTS50105) or the validation that failed, for the audit trail. */
  readonly reason: string;

  constructor(kind: UpstreamFailureKind, reason: string, options?: { cause?: unknown }) {
    super(`${kind}: ${reason}`, options);
    this.kind = kind;
    this.reason = reason;
  }
}
