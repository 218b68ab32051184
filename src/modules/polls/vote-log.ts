import { eq, sql } from 'drizzle-orm';
import { polls, type PollRow } from '../../db/schema/index.ts';
import { badRequest } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';

/** A closed poll (inactive or past closes_at) takes no votes and keeps its results. */
export function assertOpenForVotes(poll: PollRow, expired: boolean): void {
  if (poll.isActive && !expired) return;
  const problem = poll.isActive ? 'This poll closed at its deadline.' : 'This poll is closed.';
  throw badRequest(problem, 'poll_closed', { non_field_errors: [problem] });
}

/** Logs one vote row written or removed; votes are immutable rows, so version 1, tombstone 2. */
export async function recordVote(
  unit: Unit,
  poll: PollRow,
  vote: { id: string },
  op: 'insert' | 'delete',
  actorId: string,
): Promise<void> {
  await unit.record({
    tripId: poll.tripId,
    entity: 'vote',
    entityId: vote.id,
    op,
    version: op === 'insert' ? 1 : 2,
    actorId,
    fields: op === 'insert' ? ['poll', 'option_id'] : [],
  });
}

/**
 * The counts are part of the poll object, so a vote changes it: bump its version (its ETag) and log
 * a poll update naming only the count fields. A live or syncing client that knows the poll learns
 * the new counts from this one event; the sync merge sees no overlap with edits of the question.
 * The caller holds the poll FOR UPDATE (authorizeVote), so the next version is known
 * here. With `atCommit` the bump goes out with COMMIT instead of in a round trip of its own: only
 * for a caller that reads nothing of the poll row before commit (the REST vote routes answer from
 * the ballot; a sync push presents the poll afterwards, so it bumps at once).
 */
export async function recordCountsChanged(
  unit: Unit,
  poll: PollRow,
  actorId: string,
  options: { atCommit?: boolean } = {},
): Promise<void> {
  const version = poll.version + 1;
  if (options.atCommit)
    unit.atCommit({
      name: 'bump_poll_version_at_commit',
      text: 'update polls set version = $1::integer, updated_at = now() where id = $2::uuid',
      values: [version, poll.id],
    });
  else
    await unit.tx
      .update(polls)
      .set({ version, updatedAt: sql`now()` })
      .where(eq(polls.id, poll.id));
  await unit.record({
    tripId: poll.tripId,
    entity: 'poll',
    entityId: poll.id,
    op: 'update',
    version,
    actorId,
    fields: ['options', 'total_votes'],
  });
}
