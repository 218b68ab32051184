import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

import { currentUser } from '../../http/authenticate.ts';
import { errorResponses } from '../../http/envelope.ts';
import { fieldError, invalidToken, validationError } from '../../http/errors.ts';
import { authRateLimit } from '../../http/rate-limit.ts';
import { mediaUrlFor } from '../users/media-url.ts';
import { presentUser } from '../users/presenter.ts';
import { findUserById } from '../users/queries.ts';
import { login } from './login.ts';
import { revokeByToken, rotateRefreshToken } from './refresh-tokens.ts';
import { registerUser } from './register.ts';
import {
  Detail,
  LoginBody,
  LoginResponse,
  LogoutBody,
  RefreshBody,
  RegisterBody,
  RegisterResponse,
  TokenPair,
} from './schemas.ts';

const tags = ['auth'];

/** register, login, refresh (public, stricter rate limit) and logout. */
export const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ctx } = app;
  const authLimit = authRateLimit(ctx.config.rateLimit);

  app.post(
    '/auth/register/',
    {
      config: { public: true, rateLimit: authLimit },
      schema: {
        tags,
        summary: 'Create an account and sign in',
        body: RegisterBody,
        response: { 201: RegisterResponse, ...errorResponses(400, 429) },
      },
    },
    async (request, reply) => {
      const { user, access, refresh } = await registerUser(ctx, request.body);
      return reply
        .code(201)
        .send({ user: presentUser(user, mediaUrlFor(request, ctx)), tokens: { access, refresh } });
    },
  );

  app.post(
    '/auth/login/',
    {
      config: { public: true, rateLimit: authLimit },
      schema: {
        tags,
        summary: 'Exchange email and password for tokens',
        body: LoginBody,
        response: { 200: LoginResponse, ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => {
      const { user, access, refresh } = await login(ctx, request.body.email, request.body.password);
      return { access, refresh, user: presentUser(user, mediaUrlFor(request, ctx)) };
    },
  );

  app.post(
    '/auth/refresh/',
    {
      config: { public: true, rateLimit: authLimit },
      schema: {
        tags,
        summary: 'Rotate a refresh token',
        description:
          'Returns a new access token and a new refresh token; the presented refresh token is spent. ' +
          'Presenting a spent token again revokes every token of its session (theft detection).',
        body: RefreshBody,
        response: { 200: TokenPair, ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => {
      const result = await rotateRefreshToken(
        ctx.db,
        request.body.refresh,
        ctx.config.auth.refreshTokenTtlSec,
      );
      if (!result.ok) {
        if (result.reason === 'reused')
          request.log.warn({ reason: result.reason }, 'refresh token reuse: family revoked');
        throw invalidToken('Refresh token is invalid, expired or already used.');
      }
      const user = await findUserById(ctx.db, result.userId);
      if (!user?.isActive) throw invalidToken('Refresh token is invalid, expired or already used.');
      return { access: await ctx.accessTokens.sign(result.userId), refresh: result.refresh };
    },
  );

  app.post(
    '/auth/logout/',
    {
      schema: {
        tags,
        summary: 'End a session',
        description: 'Revokes the refresh token (and every token rotated from it). Idempotent.',
        security: [{ bearerAuth: [] }],
        body: LogoutBody,
        response: { 200: Detail, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      // Problems are reported on the field the client actually sent (`refresh` or its alias).
      const field = request.body.refresh !== undefined ? 'refresh' : 'refresh_token';
      const raw = request.body.refresh ?? request.body.refresh_token;
      if (!raw) throw validationError({ refresh: ['This field is required.'] });
      const revoked = await revokeByToken(ctx.db, raw, currentUser(request).id);
      if (!revoked) throw fieldError(field, 'Token is invalid or does not belong to you.');
      return { detail: 'Successfully logged out.' };
    },
  );
};
