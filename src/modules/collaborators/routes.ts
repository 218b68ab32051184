import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { currentUser } from '../../http/authenticate.ts';
import { errorResponses } from '../../http/envelope.ts';
import { expectedVersion, setEtag } from '../../http/etag.ts';
import { absoluteBase } from '../../http/pagination.ts';
import { inTransaction } from '../changes/unit-of-work.ts';
import { idempotencyKeyOf, runIdempotent } from '../idempotency/idempotent.ts';
import { authorizeTrip } from '../trips/access.ts';
import { presentCollaborator } from '../trips/presenter.ts';
import { loadTripGraph } from '../trips/queries.ts';
import { Collaborator, TripParams } from '../trips/schemas.ts';
import { mediaUrlFor } from '../users/media-url.ts';
import { addCollaborator } from './add-collaborator.ts';
import { changeRole } from './change-role.ts';
import { presentMember, type CollaboratorView } from './present.ts';
import { removeMember } from './remove-member.ts';
import { AddCollaboratorBody, ChangeRoleBody, MemberParams } from './schemas.ts';

const tags = ['collaborators'];
const security = [{ bearerAuth: [] }];
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ maxLength: 255, description: 'Retries with the same key return the first result' }),
  ),
});
const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'ETag of the collaborator; 412 if stale' })),
});

/** Trip members: list, add an existing user, change a role (owner), remove or leave. */
export const collaboratorRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ctx } = app;

  app.get(
    '/trips/:id/collaborators/',
    {
      schema: {
        tags,
        security,
        summary: "A trip's collaborators",
        description: 'Any member. The whole list (not paginated: a trip has few members), oldest first.',
        params: TripParams,
        response: { 200: Type.Array(Type.Ref(Collaborator)), ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const { trip } = await authorizeTrip(ctx.db, {
        tripId: request.params.id,
        userId: currentUser(request).id,
        action: 'member.list',
      });
      const graph = await loadTripGraph(ctx.db, [trip]);
      const mediaUrl = mediaUrlFor(request, ctx);
      return (graph.members.get(trip.id) ?? []).map((m) => presentCollaborator(m, graph.users, mediaUrl));
    },
  );

  app.post(
    '/trips/:id/collaborators/:user_id/',
    {
      // Every body field is optional: a POST without a body means "add as viewer".
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags,
        security,
        summary: 'Add an existing user to a trip',
        description:
          'Owner or editor. `role` defaults to viewer; only an owner may grant owner (403). ' +
          'An unknown user id is a 404; a user who is already a member is a 400 on `user_id`. ' +
          'The added user is emailed a notice.',
        params: MemberParams,
        headers: IdempotencyHeaders,
        body: AddCollaboratorBody,
        response: { 201: Type.Ref(Collaborator), ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const actorId = currentUser(request).id;
      const { id, user_id: userId } = request.params;
      const outcome = await runIdempotent(
        ctx,
        {
          userId: actorId,
          key: idempotencyKeyOf(request),
          scope: `POST /trips/${id}/collaborators/${userId}/`,
          body: request.body,
        },
        async (unit) => {
          const member = await addCollaborator(unit, {
            actorId,
            tripId: id,
            userId,
            role: request.body.role ?? 'viewer',
            baseUrl: absoluteBase(request),
          });
          return { status: 201, body: await presentMember(unit.tx, request, member) };
        },
      );
      if (outcome.replayed) reply.header('idempotent-replayed', 'true');
      setEtag(reply, outcome.body.version);
      return reply.code(201).send(outcome.body);
    },
  );

  app.patch(
    '/trips/:id/collaborators/:user_id/',
    {
      schema: {
        tags,
        security,
        summary: "Change a collaborator's role (owner)",
        description:
          'Owner only. Demoting the last owner is a 400 (`last_owner`). Honours If-Match with the ' +
          "collaborator's ETag.",
        params: MemberParams,
        headers: IfMatchHeaders,
        body: ChangeRoleBody,
        response: { 200: Type.Ref(Collaborator), ...errorResponses(400, 401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      const actorId = currentUser(request).id;
      const view: CollaboratorView = await inTransaction(ctx, async (unit) => {
        const member = await changeRole(unit, {
          actorId,
          tripId: request.params.id,
          userId: request.params.user_id,
          role: request.body.role,
          expectedVersion: expectedVersion(request),
          presentCurrent: (current) => presentMember(unit.tx, request, current),
        });
        return presentMember(unit.tx, request, member);
      });
      setEtag(reply, view.version);
      return view;
    },
  );

  app.delete(
    '/trips/:id/collaborators/:user_id/',
    {
      schema: {
        tags,
        security,
        summary: 'Remove a collaborator, or leave the trip',
        description:
          'An owner may remove anyone; any member may remove themself (leave). The last owner can ' +
          'neither leave nor be removed (400 `last_owner`). Honours If-Match.',
        params: MemberParams,
        headers: IfMatchHeaders,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      const actorId = currentUser(request).id;
      await inTransaction(ctx, (unit) =>
        removeMember(unit, {
          actorId,
          tripId: request.params.id,
          userId: request.params.user_id,
          expectedVersion: expectedVersion(request),
          presentCurrent: (current) => presentMember(unit.tx, request, current),
        }),
      );
      return reply.code(204).send(null);
    },
  );
};
