import { and, eq, lte, sql } from 'drizzle-orm';
import { invitations, type InvitationRow, type TripMemberRow, type TripRow } from '../../db/schema/index.ts';
import { fieldError, permissionDenied } from '../../http/errors.ts';
import { enqueueEmail } from '../../platform/email-outbox.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { OWNER_GRANT_DENIED } from '../collaborators/add-collaborator.ts';
import { insertMember } from '../collaborators/insert-member.ts';
import { authorizeTrip } from '../trips/access.ts';
import { canGrantRole } from '../trips/policy.ts';
import { findUserByEmail, findUserById } from '../users/queries.ts';
import { invitationEmail } from './emails.ts';
import type { InviteBody } from './schemas.ts';
import { INVITATION_TTL_MS, newInvitationToken } from './tokens.ts';

export type InviteOutcome =
  | { kind: 'member'; trip: TripRow; member: TripMemberRow }
  | { kind: 'invitation'; trip: TripRow; invitation: InvitationRow };

/**
 * Invites an email to a trip (owner, editor). An existing account is added at once and notified;
 * an unknown address gets a pending invitation (only the token's hash is stored) and an email with
 * the accept link. One pending invitation per trip and address: the partial unique index decides,
 * so a concurrent duplicate is a clean 400 rather than a second invitation.
 */
export async function inviteToTrip(
  unit: Unit,
  props: {
    actorId: string;
    tripId: string;
    input: InviteBody;
    baseUrl: string;
    /** How long the invitation stays valid; 7 days unless configured. */
    ttlMs?: number;
  },
): Promise<InviteOutcome> {
  const { tx } = unit;
  const { trip, role: actorRole } = await authorizeTrip(tx, {
    tripId: props.tripId,
    userId: props.actorId,
    action: 'member.invite',
    lock: 'key share', // the trip may not be deleted between this check and the insert
  });
  const role = props.input.role ?? 'viewer';
  if (!canGrantRole(actorRole, role)) throw permissionDenied(OWNER_GRANT_DENIED);
  const email = props.input.email.trim().toLowerCase();
  const message = props.input.message?.trim() ?? '';
  const inviter = await findUserById(tx, props.actorId);

  const existing = await findUserByEmail(tx, email);
  if (existing) {
    const member = await insertMember(unit, {
      trip,
      user: existing,
      role,
      inviter,
      field: 'email',
      baseUrl: props.baseUrl,
      message,
    });
    return { kind: 'member', trip, member };
  }

  // A pending invitation past its expiry no longer blocks a new one: mark it for what it is.
  const stale = await tx
    .update(invitations)
    .set({ status: 'expired', version: sql`${invitations.version} + 1`, updatedAt: sql`now()` })
    .where(
      and(
        eq(invitations.tripId, trip.id),
        sql`lower(${invitations.email}) = ${email}`,
        eq(invitations.status, 'pending'),
        lte(invitations.expiresAt, new Date()),
      ),
    )
    .returning();
  for (const row of stale)
    await unit.record({
      tripId: trip.id,
      entity: 'invitation',
      entityId: row.id,
      op: 'update',
      version: row.version,
      actorId: props.actorId,
      fields: ['status'],
    });

  const { token, hash } = newInvitationToken();
  const [invitation] = await tx
    .insert(invitations)
    .values({
      tripId: trip.id,
      email,
      role,
      message,
      tokenHash: hash,
      invitedById: props.actorId,
      expiresAt: new Date(Date.now() + (props.ttlMs ?? INVITATION_TTL_MS)),
    })
    .onConflictDoNothing()
    .returning();
  if (!invitation) throw fieldError('email', 'This email has already been invited to this trip.');
  await unit.record({
    tripId: trip.id,
    entity: 'invitation',
    entityId: invitation.id,
    op: 'insert',
    version: invitation.version,
    actorId: props.actorId,
    fields: ['email', 'role', 'message', 'status', 'expires_at'],
  });
  await enqueueEmail(unit, invitationEmail({ invitation, token, trip, inviter, baseUrl: props.baseUrl }));
  return { kind: 'invitation', trip, invitation };
}
