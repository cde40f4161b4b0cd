// "Sign-in refused": the one error the sign-in steps throw when a user does not get in, and the one
// middleware that audits it and shows the page. The outcome code is the audit outcome, the metrics
// label and the page's `reason`; the user sees generic text and the correlation id, never the detail.
import type { Context, Middleware, Next } from 'koa';
import { ServiceError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AuditEvent, AuditLog } from '../accounts/audit.ts';
import type { UpstreamError } from '../upstream/connector.ts';

/** Which page a refusal shows: the guide's Authentication Error, or one the user can act on. */
export type RefusalPage = 'error' | 'cancelled' | 'unavailable';

const pageTitles: Record<RefusalPage, string> = {
  error: 'Authentication Error',
  cancelled: 'Sign-in was cancelled',
  unavailable: 'NHSmail sign-in is unavailable',
};

type AuditDetail = Pick<AuditEvent, 'clientId' | 'accountId' | 'email' | 'upstreamOid' | 'detail'>;

export class SignInRefused extends ServiceError {
  override name = 'SignInRefused';
  readonly page: RefusalPage;
  readonly audit: AuditDetail;
  readonly retryHref: string | undefined;

  constructor(
    outcome: string,
    options: {
      status?: number;
      page?: RefusalPage;
      audit?: AuditDetail;
      retryHref?: string | undefined;
      cause?: unknown;
    } = {},
  ) {
    // Never exposed: the page is generic, the outcome and detail go to the audit trail and the log.
    super(outcome, `sign-in refused: ${outcome}`, {
      status: options.status ?? 403,
      expose: false,
      cause: options.cause,
    });
    this.page = options.page ?? 'error';
    this.audit = options.audit ?? {};
    this.retryHref = options.retryHref;
  }

  /** A browser continuing a sign-in that is not its own (another interaction, or no signed-in session). */
  static interactionMismatch(interaction: { params: { client_id?: unknown } }) {
    return new SignInRefused('interaction_mismatch', {
      status: 400,
      audit: { clientId: String(interaction.params.client_id) },
    });
  }

  /** An upstream failure as a refusal: `upstream_<kind>`, with the IdP's code or the failed check. */
  static fromUpstream(error: UpstreamError, audit: AuditDetail, retryHref: string | undefined) {
    const byKind = {
      cancelled: { status: 400, page: 'cancelled' },
      unavailable: { status: 503, page: 'unavailable' },
      denied: { status: 403, page: 'error' },
      invalid_response: { status: 403, page: 'error' },
    } as const;
    return new SignInRefused(`upstream_${error.kind}`, {
      ...byKind[error.kind],
      audit: { ...audit, detail: error.reason },
      retryHref: error.kind === 'denied' || error.kind === 'invalid_response' ? undefined : retryHref,
      cause: error.cause ?? error,
    });
  }
}

/** Audits a SignInRefused and renders its page with `{ title, correlationId, reason }`. */
export function signInRefusals(audit: AuditLog, logger: Logger): Middleware {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (caught) {
      if (!(caught instanceof SignInRefused)) throw caught;
      const correlationId = String(ctx.state.correlationId);
      logger.warn(
        { correlationId, reason: caught.code, detail: caught.audit.detail, err: caught.cause },
        'sign-in refused',
      );
      await audit.record({ event: 'sign_in', outcome: caught.code, correlationId, ...caught.audit });
      ctx.status = caught.status;
      ctx.type = 'html';
      await ctx.render(caught.page, {
        title: pageTitles[caught.page],
        correlationId,
        reason: caught.code,
        retryHref: caught.retryHref,
      });
    }
  };
}
