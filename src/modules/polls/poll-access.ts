import { and, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/index.ts';
import { prepared } from '../../db/prepared.ts';
import { polls, tripMembers, type PollRow, type Role } from '../../db/schema/index.ts';
import { notFound, permissionDenied } from '../../http/errors.ts';
import { can, type TripAction } from '../trips/policy.ts';
import { canManagePoll } from './poll-policy.ts';

export interface AuthorizedPoll {
  poll: PollRow;
  role: Role;
  /** Past closes_at by the database clock, read in the same statement (votes use this). */
  expired: boolean;
}

/**
 * The poll and the caller's role in its trip, in one statement: 404 when there is no such poll or
 * the caller is not a member (no existence leak), 403 when the role may not take `action`.
 * `manage` additionally requires the creator or an owner. `lock` takes the poll row FOR UPDATE,
 * serialising every vote and edit of one poll.
 */
export async function authorizePoll(
  db: Db | Tx,
  props: { pollId: string; userId: string; action: TripAction; manage?: boolean; lock?: boolean },
): Promise<AuthorizedPoll> {
  const name = props.lock ? 'authorize_poll_for_update' : 'authorize_poll';
  const [row] = await prepared(db, name, (db) => {
    const query = db
      .select({
        poll: polls,
        role: tripMembers.role,
        expired: sql<boolean>`(${polls.closesAt} is not null and ${polls.closesAt} <= statement_timestamp())`,
      })
      .from(polls)
      .innerJoin(
        tripMembers,
        and(eq(tripMembers.tripId, polls.tripId), eq(tripMembers.userId, sql.placeholder('userId'))),
      )
      .where(eq(polls.id, sql.placeholder('pollId')))
      .limit(1);
    return props.lock ? query.for('update', { of: polls }) : query;
  }).execute({ pollId: props.pollId, userId: props.userId });
  if (!row) throw notFound('Poll not found.');
  if (!can(row.role, props.action)) throw permissionDenied();
  if (props.manage && !canManagePoll(row.role, row.poll, props.userId))
    throw permissionDenied('Only the poll’s creator or a trip owner may change this poll.');
  return { poll: row.poll, role: row.role, expired: Boolean(row.expired) };
}
