import { eq } from 'drizzle-orm';
import { pollOptions, polls, type PollRow } from '../../db/schema/index.ts';
import { conflict } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizeTrip } from '../trips/access.ts';
import { futureClosesAt, normaliseOptions, normaliseQuestion } from './poll-input.ts';
import type { CreatePollBody } from './schemas.ts';

/**
 * Creates a poll with its options (owner, editor), in the caller's transaction. Input is checked
 * before anything is written. A client-supplied id that already names this user's poll in the same
 * trip returns that poll (`created: false`) so an offline retry never duplicates; any other
 * holder of the id is a 409.
 */
export async function createPoll(
  unit: Unit,
  props: { userId: string; input: CreatePollBody },
): Promise<{ poll: PollRow; created: boolean }> {
  const { input, userId } = props;
  const question = normaliseQuestion(input.question);
  const options = normaliseOptions(input.options);
  const closesAt = input.closes_at === undefined ? null : futureClosesAt(input.closes_at);
  await authorizeTrip(unit.tx, { tripId: input.trip, userId, action: 'poll.create', lock: 'key share' });

  const [poll] = await unit.tx
    .insert(polls)
    .values({
      ...(input.id ? { id: input.id } : {}),
      tripId: input.trip,
      createdById: userId,
      question,
      description: input.description ?? '',
      isActive: input.is_active ?? true,
      closesAt,
      allowMultiple: input.allow_multiple ?? false,
    })
    .onConflictDoNothing({ target: polls.id })
    .returning();
  if (!poll) {
    const [existing] = await unit.tx.select().from(polls).where(eq(polls.id, input.id!));
    if (existing && existing.createdById === userId && existing.tripId === input.trip)
      return { poll: existing, created: false };
    throw conflict('An object with this id already exists.', { id: ['This id is already in use.'] });
  }
  await unit.tx
    .insert(pollOptions)
    .values(options.map((text, position) => ({ pollId: poll.id, text, position })));
  await unit.record({
    tripId: poll.tripId,
    entity: 'poll',
    entityId: poll.id,
    op: 'insert',
    version: poll.version,
    actorId: userId,
    fields: ['question', 'description', 'is_active', 'closes_at', 'allow_multiple', 'options'],
  });
  return { poll, created: true };
}
