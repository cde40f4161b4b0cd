// The CQRS app stand-in's pages and its OpenID Connect client routes.
//
//   GET  /                         landing page with "Sign In" (guide step 1)
//   GET  /auth/login               start sign-in at the broker
//   GET  /auth/callback            the broker's redirect back: tokens, userinfo, session
//   GET  /messages                 the message centre (guide step 3)
//   POST /auth/logout              end the session here and at the broker (RP-initiated logout)
//   POST /auth/backchannel-logout  the broker ends a session (back-channel logout)
import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Context } from 'koa';
import * as oidc from 'openid-client';
import type { Logger } from '../shared/logger.ts';
import type { BrokerClient, PendingLogin, SignedInUser, TokenSet } from './brokerClient.ts';
import type { CqrsAppConfig } from './config.ts';
import { destroySessionsForBrokerSid, destroySessionsForBrokerSubject } from './sessionStore.ts';

interface AppSession {
  pending?: PendingLogin;
  user?: SignedInUser;
  tokens?: TokenSet;
  logoutState?: string;
}

function session(ctx: Context): AppSession {
  return ctx.session as unknown as AppSession;
}

interface MessageRow {
  id: string;
  ods_code: string | null;
  subject: string;
  body: string;
  received_at: number;
}

export function appRoutes(options: {
  config: CqrsAppConfig;
  db: Knex;
  client: BrokerClient;
  logger: Logger;
}): Router {
  const { db, client, logger } = options;
  const router = new Router();

  router.get('/', async (ctx) => {
    const current = session(ctx);
    const signedOut = typeof ctx.query.state === 'string' && ctx.query.state === current.logoutState;
    if (signedOut) delete current.logoutState;
    await ctx.render('landing', {
      title: 'Welcome',
      user: current.user,
      signedOut,
      ended: ctx.query.ended === '1',
    });
  });

  router.get('/auth/login', async (ctx) => {
    const { url, pending } = await client.startLogin();
    session(ctx).pending = pending;
    ctx.redirect(url.href);
  });

  router.get('/auth/callback', async (ctx) => {
    const current = session(ctx);
    const pending = current.pending;
    if (!pending) {
      ctx.status = 400;
      await ctx.render('error', { title: 'Sign-in failed', correlationId: ctx.state.correlationId });
      return;
    }
    delete current.pending;
    try {
      const { user, tokens } = await client.finishLogin(
        new URL(ctx.originalUrl, options.config.baseUrl),
        pending,
      );
      // A fresh session id on sign-in: nothing from before the sign-in carries over.
      await ctx.session?.regenerate();
      Object.assign(session(ctx), { user, tokens });
      ctx.redirect('/messages');
    } catch (error) {
      const oauthError = error instanceof oidc.AuthorizationResponseError ? error.error : undefined;
      logger.warn(
        { correlationId: ctx.state.correlationId, oauthError, err: error },
        'sign-in at the broker failed',
      );
      ctx.status = 400;
      await ctx.render('error', { title: 'Sign-in failed', correlationId: ctx.state.correlationId });
    }
  });

  router.get('/messages', async (ctx) => {
    const current = session(ctx);
    if (!current.user || !current.tokens) {
      ctx.redirect('/');
      return;
    }
    if (current.tokens.expiresAt - 30_000 < Date.now()) {
      try {
        current.tokens = await client.refresh(current.tokens);
      } catch (error) {
        // The broker refused the refresh (signed out, suspended or revoked): this session is over.
        logger.info(
          { correlationId: ctx.state.correlationId, err: error },
          'refresh refused; ending the session',
        );
        ctx.session = null;
        ctx.redirect('/?ended=1');
        return;
      }
    }
    const odsCodes = current.user.organisations.map((organisation) => organisation.ods_code);
    const messages = await db<MessageRow>('messages')
      .where((query) => query.whereNull('ods_code').orWhereIn('ods_code', odsCodes))
      .orderBy('received_at', 'desc');
    await ctx.render('messages', {
      title: 'Message centre',
      user: current.user,
      messages: messages.map((message) => ({ ...message, receivedAt: new Date(message.received_at) })),
    });
  });

  router.post('/auth/logout', async (ctx) => {
    const current = session(ctx);
    const idToken = current.tokens?.idToken;
    delete current.user;
    delete current.tokens;
    // A new session id that keeps only the state, to recognise the broker's redirect back.
    await ctx.session?.regenerate();
    if (!idToken) {
      ctx.redirect('/');
      return;
    }
    const state = randomUUID();
    session(ctx).logoutState = state;
    ctx.redirect((await client.endSessionUrl(idToken, state)).href);
  });

  router.post('/auth/backchannel-logout', async (ctx) => {
    const body = (ctx.request as { body?: Record<string, unknown> }).body ?? {};
    const token = typeof body.logout_token === 'string' ? body.logout_token : '';
    ctx.set('Cache-Control', 'no-store');
    try {
      const { sid, sub } = await client.verifyLogoutToken(token);
      // Back-Channel Logout 1.0 §2.7: the session named by sid, else every session of sub.
      let ended = 0;
      if (sid) ended = await destroySessionsForBrokerSid(db, sid);
      else if (sub) ended = await destroySessionsForBrokerSubject(db, sub);
      logger.info({ correlationId: ctx.state.correlationId, ended }, 'back-channel logout');
      ctx.status = 200;
      ctx.body = '';
    } catch (error) {
      logger.warn(
        { correlationId: ctx.state.correlationId, err: error },
        'invalid back-channel logout token',
      );
      ctx.status = 400;
      ctx.body = { error: 'invalid_request' };
    }
  });

  return router;
}
