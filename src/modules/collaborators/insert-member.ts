import {
  tripMembers,
  type Role,
  type TripMemberRow,
  type TripRow,
  type UserRow,
} from '../../db/schema/index.ts';
import { fieldError } from '../../http/errors.ts';
import { enqueueEmail } from '../../platform/email-outbox.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { addedToTripEmail } from './emails.ts';

/**
 * Adds `user` to an already authorized trip, records the change and queues the notice email.
 * The unique (trip, user) index decides "already a member", so two concurrent adds cannot both win;
 * the loser gets a 400 on `field` (the body or path field that named the user).
 */
export async function insertMember(
  unit: Unit,
  props: {
    trip: TripRow;
    user: UserRow;
    role: Role;
    inviter: UserRow | null;
    field: string;
    baseUrl: string;
    message?: string;
  },
): Promise<TripMemberRow> {
  const [member] = await unit.tx
    .insert(tripMembers)
    .values({
      tripId: props.trip.id,
      userId: props.user.id,
      role: props.role,
      invitedById: props.inviter?.id ?? null,
    })
    .onConflictDoNothing()
    .returning();
  if (!member) throw fieldError(props.field, 'This user is already a collaborator on this trip.');
  await unit.record({
    tripId: props.trip.id,
    entity: 'collaborator',
    entityId: member.id,
    op: 'insert',
    version: member.version,
    actorId: props.inviter?.id ?? null,
    fields: ['user', 'role'],
  });
  await enqueueEmail(
    unit,
    addedToTripEmail({
      to: props.user.email,
      trip: props.trip,
      role: props.role,
      inviter: props.inviter,
      baseUrl: props.baseUrl,
      message: props.message,
    }),
  );
  return member;
}
