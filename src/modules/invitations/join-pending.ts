import { and, eq, gt, inArray, sql } from 'drizzle-orm';
import { invitations, tripMembers } from '../../db/schema/index.ts';
import type { Unit } from '../changes/unit-of-work.ts';

/**
 * Joins a (newly registered) user to every trip with a pending, unexpired invitation for their
 * email, with the invited role, and marks those invitations accepted — in the caller's transaction,
 * recording every change. Returns the ids of the trips joined. A fixed number of statements plus
 * one change row per write.
 */
export async function joinPendingInvitations(
  unit: Unit,
  props: { userId: string; email: string },
): Promise<string[]> {
  const { tx } = unit;
  const pending = await tx
    .select()
    .from(invitations)
    .where(
      and(
        sql`lower(${invitations.email}) = ${props.email.trim().toLowerCase()}`,
        eq(invitations.status, 'pending'),
        gt(invitations.expiresAt, new Date()),
      ),
    )
    .for('update');
  if (pending.length === 0) return [];

  const members = await tx
    .insert(tripMembers)
    .values(
      pending.map((inv) => ({
        tripId: inv.tripId,
        userId: props.userId,
        role: inv.role,
        invitedById: inv.invitedById,
      })),
    )
    .onConflictDoNothing()
    .returning();
  const accepted = await tx
    .update(invitations)
    .set({
      status: 'accepted',
      respondedAt: sql`now()`,
      version: sql`${invitations.version} + 1`,
      updatedAt: sql`now()`,
    })
    .where(
      inArray(
        invitations.id,
        pending.map((inv) => inv.id),
      ),
    )
    .returning();

  for (const member of members)
    await unit.record({
      tripId: member.tripId,
      entity: 'collaborator',
      entityId: member.id,
      op: 'insert',
      version: member.version,
      actorId: props.userId,
      fields: ['user', 'role'],
    });
  for (const invitation of accepted)
    await unit.record({
      tripId: invitation.tripId,
      entity: 'invitation',
      entityId: invitation.id,
      op: 'update',
      version: invitation.version,
      actorId: props.userId,
      fields: ['status', 'responded_at'],
    });
  return members.map((m) => m.tripId);
}
