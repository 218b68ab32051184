import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Db, Tx } from '../../db/index.ts';
import type { InvitationRow } from '../../db/schema/index.ts';
import { currentUser } from '../../http/authenticate.ts';
import { errorResponses } from '../../http/envelope.ts';
import { expectedVersion } from '../../http/etag.ts';
import { absoluteBase, Page, pageWindow } from '../../http/pagination.ts';
import { inTransaction } from '../changes/unit-of-work.ts';
import { presentMember } from '../collaborators/present.ts';
import { idempotencyKeyOf, runIdempotent } from '../idempotency/idempotent.ts';
import { authorizeTrip } from '../trips/access.ts';
import { Collaborator, TripParams } from '../trips/schemas.ts';
import { mediaUrlFor } from '../users/media-url.ts';
import { inviteToTrip } from './invite.ts';
import { presentInvitation, presentInvitationPage } from './presenter.ts';
import { listTripInvitations, loadInviters } from './queries.ts';
import { revokeInvitation } from './revoke.ts';
import { Invitation, InvitationParams, InvitationSent, InviteBody, TripInvitationsQuery } from './schemas.ts';

const tags = ['invitations'];
const security = [{ bearerAuth: [] }];

/** One invitation object (one query for the inviter). */
async function presentOne(db: Db | Tx, request: FastifyRequest, row: InvitationRow, tripTitle: string) {
  const inviters = await loadInviters(db, [row]);
  return presentInvitation(row, tripTitle, inviters, mediaUrlFor(request, request.server.ctx));
}

/** Inviting by email, and a trip's invitations: list and revoke (owner, editor). */
export const tripInvitationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ctx } = app;

  app.post(
    '/trips/:id/invite/',
    {
      schema: {
        tags,
        security,
        summary: 'Invite someone to a trip by email',
        description:
          'Owner or editor; only an owner may grant `owner` (403). An email that has an account: ' +
          'the user is added at once and notified (201, collaborator). Otherwise a pending ' +
          'invitation valid for 7 days is stored and emailed with its accept link (202); registering ' +
          'with that address joins the trip. Already a member, or already invited and still pending: ' +
          '400 on `email`. Emails are queued and sent in the background; the request never waits on SMTP.',
        params: TripParams,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 255 })) }),
        body: InviteBody,
        response: {
          201: Type.Ref(Collaborator),
          202: InvitationSent,
          ...errorResponses(400, 401, 403, 404, 422),
        },
      },
    },
    async (request, reply) => {
      const actorId = currentUser(request).id;
      const { id } = request.params;
      const outcome = await runIdempotent(
        ctx,
        {
          userId: actorId,
          key: idempotencyKeyOf(request),
          scope: `POST /trips/${id}/invite/`,
          body: request.body,
        },
        async (unit) => {
          const result = await inviteToTrip(unit, {
            actorId,
            tripId: id,
            input: request.body,
            baseUrl: absoluteBase(request),
            ttlMs: ctx.config.invitations.ttlSec * 1000,
          });
          if (result.kind === 'member')
            return { status: 201, body: (await presentMember(unit.tx, request, result.member)) as unknown };
          return {
            status: 202,
            body: {
              detail: 'Invitation sent.',
              email: result.invitation.email,
              invitation: await presentOne(unit.tx, request, result.invitation, result.trip.title),
            } as unknown,
          };
        },
      );
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(outcome.status as 201).send(outcome.body as never);
    },
  );

  app.get(
    '/trips/:id/invitations/',
    {
      schema: {
        tags,
        security,
        summary: "A trip's invitations",
        description:
          'Owner or editor. Every status, newest first; a pending invitation past its expiry is ' +
          'shown as `expired`. `status` filters by that effective status.',
        params: TripParams,
        querystring: TripInvitationsQuery,
        response: { 200: Page(Invitation), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { trip } = await authorizeTrip(ctx.db, {
        tripId: request.params.id,
        userId: currentUser(request).id,
        action: 'invitation.list',
      });
      const window = pageWindow(request.query);
      const { total, rows } = await listTripInvitations(ctx.db, trip.id, request.query.status, window);
      return presentInvitationPage(ctx.db, request, window, total, rows);
    },
  );

  app.delete(
    '/trips/:id/invitations/:inv/',
    {
      schema: {
        tags,
        security,
        summary: 'Revoke an invitation',
        description:
          'Owner or editor. The token stops working at once. Revoking a revoked invitation is a ' +
          'no-op; an accepted or declined one is a 400 (`invitation_not_pending`). Honours If-Match.',
        params: InvitationParams,
        headers: Type.Object({ 'if-match': Type.Optional(Type.String()) }),
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      const actorId = currentUser(request).id;
      await inTransaction(ctx, (unit) =>
        revokeInvitation(unit, {
          actorId,
          tripId: request.params.id,
          invitationId: request.params.inv,
          expectedVersion: expectedVersion(request),
          presentCurrent: (current, tripTitle) => presentOne(unit.tx, request, current, tripTitle),
        }),
      );
      return reply.code(204).send(null);
    },
  );
};
