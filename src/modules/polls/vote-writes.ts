import { randomUUID } from 'node:crypto';
import { inArray, sql } from 'drizzle-orm';
import { prepared } from '../../db/prepared.ts';
import { pollVotes } from '../../db/schema/index.ts';
import type { Unit } from '../changes/unit-of-work.ts';

/** A vote row as the vote routes need it: which row, and for which option. */
export interface VoteRef {
  id: string;
  optionId: string;
}

/**
 * Writes the caller's vote. With `atCommit` the insert goes out with COMMIT instead of in a round
 * trip of its own (`unit.atCommit`): the caller holds the poll FOR UPDATE and has checked the
 * ballot under that lock, so nothing can make the insert fail in between, and nothing in the unit
 * reads the row back. The id is made here either way, as the column's default would make it.
 */
export async function insertVote(
  unit: Unit,
  vote: { pollId: string; optionId: string; userId: string },
  options: { atCommit?: boolean } = {},
): Promise<VoteRef> {
  const id = randomUUID();
  if (options.atCommit)
    unit.atCommit({
      name: 'cast_vote_at_commit',
      text: 'insert into poll_votes (id, poll_id, option_id, user_id) values ($1::uuid, $2::uuid, $3::uuid, $4::uuid)',
      values: [id, vote.pollId, vote.optionId, vote.userId],
    });
  else
    await prepared(unit.tx, 'cast_vote', (db) =>
      db.insert(pollVotes).values({
        id: sql.placeholder('id'),
        pollId: sql.placeholder('pollId'),
        optionId: sql.placeholder('optionId'),
        userId: sql.placeholder('userId'),
      }),
    ).execute({ id, ...vote });
  return { id, optionId: vote.optionId };
}

/** Removes the caller's votes read from the ballot under the poll's lock; `atCommit` as above. */
export async function deleteVotes(
  unit: Unit,
  votes: VoteRef[],
  options: { atCommit?: boolean } = {},
): Promise<void> {
  if (votes.length === 0) return;
  if (options.atCommit)
    unit.atCommit({
      name: 'withdraw_votes_at_commit',
      text: 'delete from poll_votes where id = any($1::uuid[])',
      values: [votes.map((v) => v.id)],
    });
  else
    await unit.tx.delete(pollVotes).where(
      inArray(
        pollVotes.id,
        votes.map((v) => v.id),
      ),
    );
}
