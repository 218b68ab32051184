import { eq } from 'drizzle-orm';
import { polls, type PollRow } from '../../db/schema/index.ts';
import { preconditionFailed } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizePoll } from './poll-access.ts';

/**
 * Deletes a poll with its options and votes (its creator or a trip owner). The change log keeps
 * one poll tombstone; the votes go with it, so no vote tombstones are written.
 */
export async function deletePoll(
  unit: Unit,
  props: {
    userId: string;
    pollId: string;
    expectedVersion: number | null;
    presentCurrent: (poll: PollRow) => Promise<unknown>;
  },
): Promise<void> {
  const { poll } = await authorizePoll(unit.tx, {
    pollId: props.pollId,
    userId: props.userId,
    action: 'poll.read',
    manage: true,
    lock: true,
  });
  if (props.expectedVersion !== null && props.expectedVersion !== poll.version)
    throw preconditionFailed(await props.presentCurrent(poll));
  await unit.tx.delete(polls).where(eq(polls.id, poll.id));
  await unit.record({
    tripId: poll.tripId,
    entity: 'poll',
    entityId: poll.id,
    op: 'delete',
    version: poll.version + 1,
    actorId: props.userId,
    fields: [],
  });
}
