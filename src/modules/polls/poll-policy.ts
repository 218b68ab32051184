import type { PollRow, Role } from '../../db/schema/index.ts';

/**
 * Who may edit or delete a poll: its creator (while still a member) or a trip owner. Trip-level
 * actions (read, create, vote) are in trips/policy.ts; this is the per-poll rule on top of them.
 */
export function canManagePoll(
  role: Role | null,
  poll: Pick<PollRow, 'createdById'>,
  userId: string,
): boolean {
  if (role === null) return false;
  return role === 'owner' || poll.createdById === userId;
}

/** Open to votes: active and not past its deadline at `now`. */
export function isPollOpen(poll: Pick<PollRow, 'isActive' | 'closesAt'>, now: Date): boolean {
  return poll.isActive && (poll.closesAt === null || poll.closesAt.getTime() > now.getTime());
}
