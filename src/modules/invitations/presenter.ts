import type { FastifyRequest } from 'fastify';
import type { Db } from '../../db/index.ts';
import type { InvitationRow, UserRow } from '../../db/schema/index.ts';
import { paginate, type PageWindow } from '../../http/pagination.ts';
import { mediaUrlFor } from '../users/media-url.ts';
import { loadInviters } from './queries.ts';
import { displayName } from '../collaborators/emails.ts';
import { presentUser } from '../users/presenter.ts';
import { effectiveStatus } from './tokens.ts';

type MediaUrl = (key: string) => string;

/** The invitation object (never the token or its hash). */
export function presentInvitation(
  row: InvitationRow,
  tripTitle: string,
  users: Map<string, UserRow>,
  mediaUrl: MediaUrl,
) {
  const inviter = row.invitedById ? users.get(row.invitedById) : undefined;
  return {
    id: row.id,
    trip: row.tripId,
    trip_title: tripTitle,
    email: row.email,
    role: row.role,
    message: row.message,
    status: effectiveStatus(row),
    invited_by: row.invitedById,
    invited_by_user: inviter ? presentUser(inviter, mediaUrl) : null,
    expires_at: row.expiresAt.toISOString(),
    responded_at: row.respondedAt ? row.respondedAt.toISOString() : null,
    version: row.version,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
export type InvitationView = ReturnType<typeof presentInvitation>;

/** The public lookup by token. */
export function presentLookup(row: InvitationRow, tripTitle: string, inviter: UserRow | null) {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    message: row.message,
    status: effectiveStatus(row),
    trip_title: tripTitle,
    invited_by_name: displayName(inviter),
    expires_at: row.expiresAt.toISOString(),
  };
}

/** A page of invitations with their inviters loaded in one query. */
export async function presentInvitationPage(
  db: Db,
  request: FastifyRequest,
  window: PageWindow,
  total: number,
  rows: { invitation: InvitationRow; tripTitle: string }[],
) {
  const inviters = await loadInviters(
    db,
    rows.map((r) => r.invitation),
  );
  const mediaUrl = mediaUrlFor(request, request.server.ctx);
  return paginate(
    request,
    window,
    total,
    rows.map((r) => presentInvitation(r.invitation, r.tripTitle, inviters, mediaUrl)),
  );
}
