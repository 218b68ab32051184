import type { Role, TripMemberRow } from '../../db/schema/index.ts';
import { notFound, permissionDenied } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizeTrip } from '../trips/access.ts';
import { canGrantRole } from '../trips/policy.ts';
import { findUserById } from '../users/queries.ts';
import { insertMember } from './insert-member.ts';

export const OWNER_GRANT_DENIED = 'Only an owner may grant the owner role.';

/** Adds an existing user (by id) to a trip (owner, editor); an unknown user id is a 404. */
export async function addCollaborator(
  unit: Unit,
  props: { actorId: string; tripId: string; userId: string; role: Role; baseUrl: string },
): Promise<TripMemberRow> {
  const { trip, role: actorRole } = await authorizeTrip(unit.tx, {
    tripId: props.tripId,
    userId: props.actorId,
    action: 'member.add',
    lock: 'key share', // the trip may not be deleted between this check and the insert
  });
  if (!canGrantRole(actorRole, props.role)) throw permissionDenied(OWNER_GRANT_DENIED);
  const user = await findUserById(unit.tx, props.userId);
  if (!user || !user.isActive) throw notFound('User not found.');
  return insertMember(unit, {
    trip,
    user,
    role: props.role,
    inviter: await findUserById(unit.tx, props.actorId),
    field: 'user_id',
    baseUrl: props.baseUrl,
  });
}
