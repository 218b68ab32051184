import type { Db } from '../db/index.ts';
import type { Role } from '../db/schema/index.ts';
import { encodeCursor, type ChangeEntry, type Cursor } from '../modules/changes/read-changes.ts';
import type { MessageView } from '../modules/chat/schemas.ts';
import type { TripAction } from '../modules/trips/policy.ts';
import { frame } from './frames.ts';
import { LOADERS } from './present-entities.ts';

/** What a change does to open sockets besides being shown. */
export type ChangeEffect =
  | { kind: 'kick'; memberId: string }
  | { kind: 'role'; memberId: string; role: Role }
  | { kind: 'trip_deleted' };

/** One change, ready to relay: the frame text (null when nothing is shown) and who may see it. */
export interface ChangeEvent {
  tripId: string;
  cursor: Cursor;
  /** The policy action a socket's role needs to receive this frame. */
  audience: TripAction;
  effect: ChangeEffect | null;
  frame: string | null;
}

// Invitations carry email addresses: only roles that may list invitations see them.
const AUDIENCE: Record<string, TripAction> = {
  trip: 'trip.read',
  collaborator: 'member.list',
  invitation: 'invitation.list',
  itinerary: 'itinerary.read',
  item: 'itinerary.read',
  poll: 'poll.read',
  vote: 'poll.read',
  message: 'chat.read',
};

function effectOf(entry: ChangeEntry, data: unknown): ChangeEffect | null {
  if (entry.entity === 'trip' && entry.op === 'delete') return { kind: 'trip_deleted' };
  if (entry.entity !== 'collaborator') return null;
  if (entry.op === 'delete') return { kind: 'kick', memberId: entry.entityId };
  const role = (data as { role?: Role } | undefined)?.role;
  return entry.op === 'update' && role ? { kind: 'role', memberId: entry.entityId, role } : null;
}

/** Chat changes keep the spec's chat frames (with a cursor); everything else is a trip_event. */
function frameOf(entry: ChangeEntry, data: unknown): string | null {
  const cursor = encodeCursor(entry.cursor);
  const version = entry.version;
  if (entry.entity === 'message') {
    const message = data as MessageView | undefined;
    if (entry.fields.includes('is_deleted') || entry.op === 'delete')
      return frame('message_deleted', { message_id: entry.entityId, cursor, version });
    if (!message) return null; // gone with its trip: the trip's delete event says so
    return frame(entry.op === 'insert' ? 'chat_message' : 'message_edited', { message, cursor, version });
  }
  const shown = entry.op === 'delete' ? { id: entry.entityId } : (data ?? null);
  return frame('trip_event', { event: `${entry.entity}.${entry.op}`, data: shown, version, cursor });
}

/**
 * Presents logged changes as socket frames, batching the loads per entity. Objects are read as
 * they are now; a change whose object has since vanished gets `data: null` (its delete follows).
 * A change that carries its writer's `view` (see ChangeInput) is shown as of its commit instead,
 * without a read; a later change of the object follows as its own frame.
 */
export async function presentChanges(
  db: Db,
  mediaUrl: (key: string) => string,
  entries: readonly (ChangeEntry & { view?: unknown })[],
): Promise<ChangeEvent[]> {
  const relevant = entries.filter(
    (e): e is ChangeEntry & { tripId: string; view?: unknown } => e.tripId !== null,
  );
  const wanted = new Map<string, Set<string>>();
  for (const entry of relevant) {
    if (entry.op === 'delete' || entry.view !== undefined || !LOADERS[entry.entity]) continue;
    let ids = wanted.get(entry.entity);
    if (!ids) wanted.set(entry.entity, (ids = new Set()));
    ids.add(entry.entityId);
  }
  const loaded = new Map<string, Map<string, unknown>>();
  for (const [entity, ids] of wanted) loaded.set(entity, await LOADERS[entity]!(db, [...ids], mediaUrl));
  return relevant.map((entry) => {
    const data = entry.view ?? loaded.get(entry.entity)?.get(entry.entityId);
    return {
      tripId: entry.tripId,
      cursor: entry.cursor,
      audience: AUDIENCE[entry.entity] ?? 'trip.read',
      effect: effectOf(entry, data),
      frame: frameOf(entry, data),
    };
  });
}
