import { inArray } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Db, Tx } from '../../db/index.ts';
import { users, type TripMemberRow } from '../../db/schema/index.ts';
import { presentCollaborator } from '../trips/presenter.ts';
import { mediaUrlFor } from '../users/media-url.ts';

export type CollaboratorView = ReturnType<typeof presentCollaborator>;

/** One collaborator object: the member and the inviter are fetched in one query. */
export async function presentMember(
  db: Db | Tx,
  request: FastifyRequest,
  member: TripMemberRow,
): Promise<CollaboratorView> {
  const ids = member.invitedById ? [member.userId, member.invitedById] : [member.userId];
  const rows = await db.select().from(users).where(inArray(users.id, ids));
  return presentCollaborator(
    member,
    new Map(rows.map((u) => [u.id, u])),
    mediaUrlFor(request, request.server.ctx),
  );
}
