import { eq, sql } from 'drizzle-orm';
import { polls, type PollRow } from '../../db/schema/index.ts';
import { preconditionFailed } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizePoll } from './poll-access.ts';
import { futureClosesAt, normaliseQuestion } from './poll-input.ts';
import type { PatchPollBody } from './schemas.ts';

export interface UpdatePollProps {
  userId: string;
  pollId: string;
  changes: PatchPollBody;
  expectedVersion: number | null;
  /** The current object for a 412, so the client can merge without another request. */
  presentCurrent: (poll: PollRow) => Promise<unknown>;
}

/**
 * Edits a poll (its creator or a trip owner): close or reopen it, move or remove its deadline,
 * reword it. The version check and the write happen under the poll's row lock.
 */
export async function updatePoll(unit: Unit, props: UpdatePollProps): Promise<PollRow> {
  const { poll } = await authorizePoll(unit.tx, {
    pollId: props.pollId,
    userId: props.userId,
    action: 'poll.read',
    manage: true,
    lock: true,
  });
  if (props.expectedVersion !== null && props.expectedVersion !== poll.version)
    throw preconditionFailed(await props.presentCurrent(poll));

  const { changes } = props;
  const set: Partial<typeof polls.$inferInsert> = {};
  const fields: string[] = [];
  if (changes.question !== undefined) {
    const question = normaliseQuestion(changes.question);
    if (question !== poll.question) {
      set.question = question;
      fields.push('question');
    }
  }
  if (changes.description !== undefined && changes.description !== poll.description) {
    set.description = changes.description;
    fields.push('description');
  }
  if (changes.is_active !== undefined && changes.is_active !== poll.isActive) {
    set.isActive = changes.is_active;
    fields.push('is_active');
  }
  if (changes.closes_at !== undefined) {
    const closesAt = futureClosesAt(changes.closes_at);
    if (closesAt?.getTime() !== poll.closesAt?.getTime()) {
      set.closesAt = closesAt;
      fields.push('closes_at');
    }
  }
  if (fields.length === 0) return poll;

  const [updated] = await unit.tx
    .update(polls)
    .set({ ...set, version: sql`${polls.version} + 1`, updatedAt: sql`now()` })
    .where(eq(polls.id, poll.id))
    .returning();
  await unit.record({
    tripId: poll.tripId,
    entity: 'poll',
    entityId: poll.id,
    op: 'update',
    version: updated!.version,
    actorId: props.userId,
    fields,
  });
  return updated!;
}
