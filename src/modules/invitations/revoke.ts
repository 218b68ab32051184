import { and, eq, sql } from 'drizzle-orm';
import { invitations, type InvitationRow } from '../../db/schema/index.ts';
import { badRequest, notFound, preconditionFailed } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizeTrip } from '../trips/access.ts';

/**
 * Revokes a trip's invitation (owner, editor) so its token stops working. Revoking twice is a
 * no-op (DELETE is idempotent); an accepted or declined invitation cannot be revoked (400).
 */
export async function revokeInvitation(
  unit: Unit,
  props: {
    actorId: string;
    tripId: string;
    invitationId: string;
    expectedVersion: number | null;
    presentCurrent: (invitation: InvitationRow, tripTitle: string) => Promise<unknown>;
  },
): Promise<void> {
  const { trip } = await authorizeTrip(unit.tx, {
    tripId: props.tripId,
    userId: props.actorId,
    action: 'invitation.revoke',
  });
  const [invitation] = await unit.tx
    .select()
    .from(invitations)
    .where(and(eq(invitations.id, props.invitationId), eq(invitations.tripId, trip.id)))
    .for('update');
  if (!invitation) throw notFound('Invitation not found.');
  if (props.expectedVersion !== null && props.expectedVersion !== invitation.version)
    throw preconditionFailed(await props.presentCurrent(invitation, trip.title));
  if (invitation.status === 'revoked') return;
  if (invitation.status === 'accepted' || invitation.status === 'declined')
    throw badRequest(`This invitation was already ${invitation.status}.`, 'invitation_not_pending');

  const [updated] = await unit.tx
    .update(invitations)
    .set({ status: 'revoked', version: sql`${invitations.version} + 1`, updatedAt: sql`now()` })
    .where(eq(invitations.id, invitation.id))
    .returning();
  await unit.record({
    tripId: trip.id,
    entity: 'invitation',
    entityId: invitation.id,
    op: 'update',
    version: updated!.version,
    actorId: props.actorId,
    fields: ['status'],
  });
}
