import { eq, sql } from 'drizzle-orm';
import { chatMessages, type ChatMessageRow } from '../../db/schema/index.ts';
import type { Unit } from '../changes/unit-of-work.ts';

/**
 * Writes an edit or a delete of a message: the new columns, the next version, and the change
 * naming the fields it touched (live clients and sync read those), in the caller's transaction.
 */
export async function saveMessage(
  unit: Unit,
  props: {
    message: ChatMessageRow;
    set: { content: string; isEdited?: true; isDeleted?: true };
    fields: string[];
    userId: string;
  },
): Promise<ChatMessageRow> {
  const [saved] = await unit.tx
    .update(chatMessages)
    .set({ ...props.set, version: sql`${chatMessages.version} + 1`, updatedAt: sql`now()` })
    .where(eq(chatMessages.id, props.message.id))
    .returning();
  await unit.record({
    tripId: props.message.tripId,
    entity: 'message',
    entityId: props.message.id,
    op: 'update',
    version: saved!.version,
    actorId: props.userId,
    fields: props.fields,
  });
  return saved!;
}
