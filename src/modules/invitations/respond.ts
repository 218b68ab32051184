import { and, eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/index.ts';
import { invitations, tripMembers, type InvitationRow, type TripMemberRow } from '../../db/schema/index.ts';
import { badRequest, notAuthenticated, notFound, permissionDenied } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { findUserById } from '../users/queries.ts';
import { findInvitationByKey } from './queries.ts';
import { effectiveStatus } from './tokens.ts';

const CLOSED: Record<string, string> = {
  expired: 'This invitation has expired; ask for a new one.',
  revoked: 'This invitation was revoked.',
  declined: 'This invitation was already declined.',
  accepted: 'This invitation was already accepted.',
};

/** 400 `invitation_<status>` unless the invitation is pending and unexpired. */
export function assertOpen(invitation: InvitationRow): void {
  const status = effectiveStatus(invitation);
  if (status !== 'pending') throw badRequest(CLOSED[status]!, `invitation_${status}`);
}

async function markResponded(
  unit: Unit,
  invitation: InvitationRow,
  status: 'accepted' | 'declined',
  actorId: string | null,
): Promise<InvitationRow> {
  const [updated] = await unit.tx
    .update(invitations)
    .set({
      status,
      respondedAt: sql`now()`,
      version: sql`${invitations.version} + 1`,
      updatedAt: sql`now()`,
    })
    .where(eq(invitations.id, invitation.id))
    .returning();
  await unit.record({
    tripId: invitation.tripId,
    entity: 'invitation',
    entityId: invitation.id,
    op: 'update',
    version: updated!.version,
    actorId,
    fields: ['status', 'responded_at'],
  });
  return updated!;
}

async function memberOf(tx: Tx, tripId: string, userId: string): Promise<TripMemberRow | null> {
  const [row] = await tx
    .select()
    .from(tripMembers)
    .where(and(eq(tripMembers.tripId, tripId), eq(tripMembers.userId, userId)));
  return row ?? null;
}

/**
 * Accepts an invitation for the signed-in user, whose email must be the invited address (403
 * otherwise: a forwarded link must not let someone else in). The membership gets the invited role;
 * a user who is already a member keeps their current role. Accepting an accepted invitation again
 * while still a member answers the same way (retries, or registration already joined the trip).
 */
export async function acceptInvitation(
  unit: Unit,
  props: { key: string; userId: string },
): Promise<{ invitation: InvitationRow; member: TripMemberRow }> {
  const user = await findUserById(unit.tx, props.userId);
  if (!user || !user.isActive) throw notAuthenticated();
  const found = await findInvitationByKey(unit.tx, props.key, user, true);
  if (!found) throw notFound('Invitation not found.');
  const { invitation } = found;
  if (invitation.email.toLowerCase() !== user.email.toLowerCase())
    throw permissionDenied(
      'This invitation was sent to a different email address; sign in with that address to accept it.',
    );
  if (invitation.status === 'accepted') {
    // A retried accept (lost response) answers again; after leaving, the old link is spent.
    const current = await memberOf(unit.tx, invitation.tripId, user.id);
    if (current) return { invitation, member: current };
  }
  assertOpen(invitation);

  const [inserted] = await unit.tx
    .insert(tripMembers)
    .values({
      tripId: invitation.tripId,
      userId: user.id,
      role: invitation.role,
      invitedById: invitation.invitedById,
    })
    .onConflictDoNothing()
    .returning();
  if (inserted)
    await unit.record({
      tripId: invitation.tripId,
      entity: 'collaborator',
      entityId: inserted.id,
      op: 'insert',
      version: inserted.version,
      actorId: user.id,
      fields: ['user', 'role'],
    });
  const member = inserted ?? (await memberOf(unit.tx, invitation.tripId, user.id))!;
  return { invitation: await markResponded(unit, invitation, 'accepted', user.id), member };
}

/** Declines an invitation: the emailed token alone suffices (no account needed to say no). */
export async function declineInvitation(
  unit: Unit,
  props: { key: string; userId: string | null },
): Promise<InvitationRow> {
  const invitee = props.userId ? await findUserById(unit.tx, props.userId) : null;
  const found = await findInvitationByKey(unit.tx, props.key, invitee, true);
  if (!found) throw notFound('Invitation not found.');
  assertOpen(found.invitation);
  return markResponded(unit, found.invitation, 'declined', props.userId);
}
