import type { AppContext } from '../context.ts';
import { decodeCursor, encodeCursor, type Cursor } from '../modules/changes/read-changes.ts';
import { can } from '../modules/trips/policy.ts';
import { compareCursors } from './change-log.ts';
import { headCursor, readTripLog } from './trip-log.ts';
import { presentChanges } from './change-frames.ts';
import type { Conn } from './connection.ts';
import { frame } from './frames.ts';

const BATCH = 200;

/**
 * Sends a resuming client every change of its trip after `since`, in log order, while live frames
 * wait in the socket's queue (Conn.deliver); returns the position live delivery continues from.
 * A cursor the log cannot serve (malformed, ahead of the log, or more than WS_REPLAY_MAX_EVENTS
 * behind) gets `resync_required`: reload over REST, then continue live from `start`.
 */
export async function replay(ctx: AppContext, conn: Conn, since: string, start: Cursor): Promise<Cursor> {
  const resync = (reason: 'too_old' | 'invalid_cursor') => {
    conn.send(frame('resync_required', { reason, cursor: encodeCursor(start) }));
    return start;
  };
  const from = decodeCursor(since);
  if (!from) return resync('invalid_cursor');
  const max = ctx.config.realtime.replayMaxEvents;
  const entries = await readTripLog(ctx.database, { tripId: conn.tripId, after: from, limit: max + 1 });
  if (entries.length > max) return resync('too_old');
  if (entries.length === 0 && compareCursors(from, await headCursor(ctx.database, conn.tripId)) > 0)
    return resync('invalid_cursor');
  let position = from;
  for (let i = 0; i < entries.length; i += BATCH) {
    const mediaUrl = (key: string) => ctx.media.publicPath(key);
    for (const event of await presentChanges(ctx.db, mediaUrl, entries.slice(i, i + BATCH))) {
      position = event.cursor;
      if (event.frame !== null && can(conn.role, event.audience)) conn.sendOnce(event.cursor, event.frame);
    }
  }
  if (entries.length > 0) position = entries.at(-1)!.cursor;
  conn.send(frame('resumed', { cursor: encodeCursor(position), replayed: entries.length }));
  return position;
}
