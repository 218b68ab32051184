import { eq, sql } from 'drizzle-orm';
import { prepared } from '../../db/prepared.ts';
import { polls, type PollRow, type PollVoteRow } from '../../db/schema/index.ts';
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
  vote: PollVoteRow,
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
 */
export async function recordCountsChanged(unit: Unit, poll: PollRow, actorId: string): Promise<PollRow> {
  const [updated] = await prepared(unit.tx, 'poll_counts_changed', (db) =>
    db
      .update(polls)
      .set({ version: sql`${polls.version} + 1`, updatedAt: sql`now()` })
      .where(eq(polls.id, sql.placeholder('id')))
      .returning(),
  ).execute({ id: poll.id });
  await unit.record({
    tripId: poll.tripId,
    entity: 'poll',
    entityId: poll.id,
    op: 'update',
    version: updated!.version,
    actorId,
    fields: ['options', 'total_votes'],
  });
  return updated!;
}
