import { eq, sql } from 'drizzle-orm';
import { tripMembers, type Role, type TripMemberRow } from '../../db/schema/index.ts';
import { preconditionFailed } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizeTrip } from '../trips/access.ts';
import { assertNotLastOwner, findMemberOr404 } from './members.ts';

/** Changes a collaborator's role (owner only); the last owner cannot be demoted. */
export async function changeRole(
  unit: Unit,
  props: {
    actorId: string;
    tripId: string;
    userId: string;
    role: Role;
    expectedVersion: number | null;
    presentCurrent: (member: TripMemberRow) => Promise<unknown>;
  },
): Promise<TripMemberRow> {
  const { trip } = await authorizeTrip(unit.tx, {
    tripId: props.tripId,
    userId: props.actorId,
    action: 'member.change_role',
    lock: true,
  });
  const member = await findMemberOr404(unit.tx, trip.id, props.userId);
  if (props.expectedVersion !== null && props.expectedVersion !== member.version)
    throw preconditionFailed(await props.presentCurrent(member));
  if (member.role === props.role) return member;
  if (props.role !== 'owner') await assertNotLastOwner(unit.tx, member, 'role');

  const [updated] = await unit.tx
    .update(tripMembers)
    .set({ role: props.role, version: sql`${tripMembers.version} + 1`, updatedAt: sql`now()` })
    .where(eq(tripMembers.id, member.id))
    .returning();
  await unit.record({
    tripId: trip.id,
    entity: 'collaborator',
    entityId: member.id,
    op: 'update',
    version: updated!.version,
    actorId: props.actorId,
    fields: ['role'],
  });
  return updated!;
}
