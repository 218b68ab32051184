import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { authenticateToken, bearerToken, currentUser } from '../../http/authenticate.ts';
import { errorResponses } from '../../http/envelope.ts';
import { notAuthenticated, notFound } from '../../http/errors.ts';
import { Page, pageWindow, PageQuery } from '../../http/pagination.ts';
import { inTransaction } from '../changes/unit-of-work.ts';
import { presentMember } from '../collaborators/present.ts';
import { findUserById } from '../users/queries.ts';
import { presentInvitationPage, presentLookup } from './presenter.ts';
import { findInvitationByKey, listOpenInvitationsFor, loadInviters } from './queries.ts';
import { acceptInvitation, declineInvitation } from './respond.ts';
import { AcceptResult, Invitation, InvitationLookup, TokenParams } from './schemas.ts';

const tags = ['invitations'];
const security = [{ bearerAuth: [] }];
const CLOSED_STATUSES =
  'An expired, revoked, declined or already accepted invitation is a 400 whose `type` says which ' +
  '(`invitation_expired`, `invitation_revoked`, `invitation_declined`, `invitation_accepted`); ' +
  'an unknown token is a 404.';

/** The invitee's side: my invitations, lookup by token, accept, decline. */
export const tokenInvitationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ctx } = app;

  app.get(
    '/users/me/invitations/',
    {
      schema: {
        tags,
        security,
        summary: 'Open invitations addressed to my email',
        description:
          "Pending, unexpired invitations for the caller's email, newest first. Accept one with " +
          '`POST /invitations/{id}/accept/` (the id works in place of the token for the invitee).',
        querystring: PageQuery,
        response: { 200: Page(Invitation), ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const user = await findUserById(ctx.db, currentUser(request).id);
      if (!user) throw notAuthenticated();
      const window = pageWindow(request.query);
      const { total, rows } = await listOpenInvitationsFor(ctx.db, user.email, window);
      return presentInvitationPage(ctx.db, request, window, total, rows);
    },
  );

  app.get(
    '/invitations/:token/',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Look up an invitation by its token (public)',
        description:
          'No authentication: the emailed token is the credential. Shows the trip title, who ' +
          'invited, the role, the status (pending past expiry reads `expired`) and the expiry.',
        params: TokenParams,
        response: { 200: InvitationLookup, ...errorResponses(404) },
      },
    },
    async (request) => {
      const invitee = request.user ? await findUserById(ctx.db, request.user.id) : null;
      const found = await findInvitationByKey(ctx.db, request.params.token, invitee);
      if (!found) throw notFound('Invitation not found.');
      const inviters = await loadInviters(ctx.db, [found.invitation]);
      const inviter = found.invitation.invitedById ? inviters.get(found.invitation.invitedById) : undefined;
      return presentLookup(found.invitation, found.tripTitle, inviter ?? null);
    },
  );

  app.post(
    '/invitations/:token/accept/',
    {
      config: { public: true },
      schema: {
        tags,
        security,
        summary: 'Accept an invitation',
        description:
          'Requires signing in (401 without a valid bearer token) as the account whose email is ' +
          'the invited address (403 otherwise), so a forwarded link cannot let someone else in. ' +
          'Someone without an account registers with the invited address instead, which joins ' +
          'the trip automatically. The caller becomes a collaborator with the invited role (a ' +
          `current member keeps their role). ${CLOSED_STATUSES}`,
        params: TokenParams,
        response: { 200: AcceptResult, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const user = authenticateToken(ctx.accessTokens, bearerToken(request));
      return inTransaction(ctx, async (unit) => {
        const { invitation, member } = await acceptInvitation(unit, {
          key: request.params.token,
          userId: user.id,
        });
        return {
          detail: 'Invitation accepted.',
          trip: invitation.tripId,
          collaborator: await presentMember(unit.tx, request, member),
        };
      });
    },
  );

  app.post(
    '/invitations/:token/decline/',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Decline an invitation (public)',
        description:
          'The emailed token is enough: no account is needed to say no. The invitation id works ' +
          `in place of the token only for the signed-in invitee. ${CLOSED_STATUSES}`,
        params: TokenParams,
        response: { 200: Type.Object({ detail: Type.String() }), ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      await inTransaction(ctx, (unit) =>
        declineInvitation(unit, { key: request.params.token, userId: request.user?.id ?? null }),
      );
      return { detail: 'Invitation declined.' };
    },
  );
};
