import type { PollRow } from '../../db/schema/index.ts';
import { fieldError } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { countVote, type Ballot } from './queries.ts';
import { authorizeVote } from './vote-access.ts';
import { assertOpenForVotes, recordCountsChanged, recordVote } from './vote-log.ts';
import { deleteVotes } from './vote-writes.ts';

/**
 * Withdraws the caller's vote for `optionId`; in a single-choice poll `optionId` may be left out
 * to withdraw whatever the caller voted. A closed poll keeps its results (400), and withdrawing a
 * vote the caller never cast is a 400 on `option_id`, like voting twice.
 */
export async function withdrawVote(
  unit: Unit,
  props: {
    userId: string;
    pollId: string;
    optionId: string | null;
    /** Nothing reads the poll's rows before commit: the delete and the version bump go out with COMMIT. */
    writeAtCommit?: boolean;
  },
): Promise<{ poll: PollRow; ballot: Ballot }> {
  const { userId, optionId } = props;
  const { poll, expired, ballot } = await authorizeVote(unit.tx, { pollId: props.pollId, userId });
  assertOpenForVotes(poll, expired);
  if (optionId === null && poll.allowMultiple)
    throw fieldError('option_id', 'Say which option to withdraw: this poll allows several votes.');
  if (optionId !== null && !ballot.options.some((o) => o.id === optionId))
    throw fieldError('option_id', 'This option does not belong to this poll.');

  const targets = optionId === null ? ballot.mine : ballot.mine.filter((v) => v.optionId === optionId);
  if (targets.length === 0)
    throw fieldError(
      'option_id',
      optionId === null ? 'You have not voted in this poll.' : 'You have not voted for this option.',
    );
  const atCommit = props.writeAtCommit === true;
  await deleteVotes(unit, targets, { atCommit });
  for (const vote of targets) {
    await recordVote(unit, poll, vote, 'delete', userId);
    countVote(ballot, vote.optionId, -1);
  }
  await recordCountsChanged(unit, poll, userId, { atCommit });
  return { poll, ballot };
}
