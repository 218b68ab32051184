import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/authenticate.ts';
import { errorResponses } from '../../http/envelope.ts';
import { absoluteBase } from '../../http/pagination.ts';
import { authRateLimit } from '../../http/rate-limit.ts';
import { changePassword } from './change-password.ts';
import { confirmPasswordReset } from './confirm-reset.ts';
import { requestPasswordReset } from './request-reset.ts';
import {
  ChangePasswordBody,
  Detail,
  PasswordChanged,
  ResetConfirmBody,
  ResetRequestBody,
} from './schemas.ts';

const tags = ['auth'];
const POLICY =
  'The new password follows the registration policy (at least 8 characters, not entirely numeric, ' +
  'not a common password, not too similar to the email); problems are field errors on ' +
  '`new_password`, a mismatch is one on `new_password_confirm`.';
const SIGNED_OUT =
  'Access tokens already issued stay valid until they expire (ACCESS_TOKEN_LIFETIME); they cannot ' +
  'be refreshed.';

/** Password change (signed in) and reset by emailed token (public); all on the RATE_LIMIT_AUTH budget. */
export const passwordRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ctx } = app;
  const rateLimit = authRateLimit(ctx.config.rateLimit);

  app.post(
    '/auth/password/change/',
    {
      config: { rateLimit },
      schema: {
        tags,
        security: [{ bearerAuth: [] }],
        summary: 'Change my password',
        description:
          'A wrong `old_password` is a field error on `old_password`; the new password must differ ' +
          `from it. ${POLICY} On success every refresh token of the account is revoked, which signs ` +
          'out every other device, and this device gets a fresh `access` and `refresh` pair in the ' +
          `response (store them: the refresh token it held before no longer works). ${SIGNED_OUT} ` +
          'Pending password-reset links stop working.',
        body: ChangePasswordBody,
        response: { 200: PasswordChanged, ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => {
      const tokens = await changePassword(ctx, { userId: currentUser(request).id, input: request.body });
      return { detail: 'Password changed. Other devices have been signed out.', ...tokens };
    },
  );

  app.post(
    '/auth/password/reset/',
    {
      config: { public: true, rateLimit },
      schema: {
        tags,
        summary: 'Request a password-reset email',
        description:
          'Always 202 with the same body, whether or not an account has this email, and never sooner ' +
          'than 100 ms, so neither the answer nor its timing reveals which addresses have accounts. For an active account an email is queued with a link ' +
          '`<origin>/reset-password?token=…` and the token itself, valid once for PASSWORD_RESET_TTL ' +
          '(1 hour by default). A new request makes earlier links stop working. At most ' +
          'RATE_LIMIT_AUTH emails per window go to one address, from any number of callers.',
        body: ResetRequestBody,
        response: { 202: Detail, ...errorResponses(400, 429) },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(ctx, { email: request.body.email, baseUrl: absoluteBase(request) });
      return reply.code(202).send({
        detail: 'If an account with this email exists, a password reset link has been sent to it.',
      });
    },
  );

  app.post(
    '/auth/password/reset/confirm/',
    {
      config: { public: true, rateLimit },
      schema: {
        tags,
        summary: 'Set a new password with an emailed reset token',
        description:
          'An unknown (or superseded) token is a 400 `reset_token_invalid`, a used one ' +
          '`reset_token_used`, an expired one `reset_token_expired`, each with the problem on ' +
          `\`token\` in details. ${POLICY} On success the token is spent and every refresh token of ` +
          `the account is revoked (every device signed out); sign in again with the new password. ${SIGNED_OUT}`,
        body: ResetConfirmBody,
        response: { 200: Detail, ...errorResponses(400, 429) },
      },
    },
    async (request) => {
      await confirmPasswordReset(ctx, request.body);
      return { detail: 'Your password has been reset. Sign in with the new password.' };
    },
  );
};
