import { chatMessages } from '../../db/schema/index.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { roomOfTrip } from './queries.ts';

/** Writes a `system` message: the only path that may, so no client can forge one. */
export async function postSystemMessage(
  unit: Unit,
  props: { tripId: string; content: string },
): Promise<void> {
  const room = await roomOfTrip(unit.tx, props.tripId);
  const [message] = await unit.tx
    .insert(chatMessages)
    .values({ chatRoomId: room.id, tripId: props.tripId, content: props.content, messageType: 'system' })
    .returning();
  await unit.record({
    tripId: props.tripId,
    entity: 'message',
    entityId: message!.id,
    op: 'insert',
    version: 1,
    actorId: null,
    fields: ['content', 'message_type'],
  });
}
