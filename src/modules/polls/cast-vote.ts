import type { PollRow } from '../../db/schema/index.ts';
import { fieldError } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { countVote, type Ballot } from './queries.ts';
import { authorizeVote } from './vote-access.ts';
import { assertOpenForVotes, recordCountsChanged, recordVote } from './vote-log.ts';
import { deleteVotes, insertVote } from './vote-writes.ts';

/**
 * Records the caller's vote (any member, viewers included). The poll row is locked first, so votes
 * on one poll run one after another: a single-choice poll's replace (delete the old vote, insert
 * the new) is atomic and a concurrent double vote by one user leaves exactly one vote.
 * Whether the poll is past its deadline is read with the database clock under that lock.
 * The poll returned is the row as locked, before the vote's version bump.
 */
export async function castVote(
  unit: Unit,
  props: {
    userId: string;
    pollId: string;
    optionId: string;
    /**
     * Nothing reads the poll's rows before commit: the vote writes and the poll's version bump
     * go out with COMMIT (the REST routes answer from the ballot; a sync push presents the poll).
     */
    writeAtCommit?: boolean;
  },
): Promise<{ poll: PollRow; ballot: Ballot }> {
  const { userId } = props;
  const { poll, expired, ballot } = await authorizeVote(unit.tx, { pollId: props.pollId, userId });
  assertOpenForVotes(poll, expired);
  if (!ballot.options.some((o) => o.id === props.optionId))
    throw fieldError('option_id', 'This option does not belong to this poll.');
  if (ballot.mine.some((v) => v.optionId === props.optionId))
    throw fieldError('option_id', 'You have already voted for this option.');

  const atCommit = props.writeAtCommit === true;
  if (!poll.allowMultiple && ballot.mine.length > 0) {
    await deleteVotes(unit, ballot.mine, { atCommit });
    for (const vote of ballot.mine) {
      await recordVote(unit, poll, vote, 'delete', userId);
      countVote(ballot, vote.optionId, -1);
    }
  }
  const vote = await insertVote(unit, { pollId: poll.id, optionId: props.optionId, userId }, { atCommit });
  await recordVote(unit, poll, vote, 'insert', userId);
  countVote(ballot, vote.optionId, 1);
  await recordCountsChanged(unit, poll, userId, { atCommit });
  return { poll, ballot };
}
