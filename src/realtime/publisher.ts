import type { AppContext } from '../context.ts';
import type { RecordedChange } from '../modules/changes/record-change.ts';
import { trackAfterCommit } from './after-commit.ts';
import { presentChanges } from './change-frames.ts';
import { channelOf, changeEnvelope } from './envelope.ts';

/** The trips among `tripIds` that some instance has sockets for (their channel has subscribers). */
export type WatchedTrips = (tripIds: string[]) => Promise<Set<string>>;

/**
 * Publishes each committed change of a watched trip once, to that trip's channel: after commit
 * (the unit of work calls listeners only then, never for a rollback), presented and serialized
 * here once, relayed by every instance to its own sockets. Trips nobody watches cost no query.
 * Returns a function that stops listening and waits for publishes in flight (for shutdown).
 */
export function startPublisher(
  ctx: AppContext,
  mediaUrl: (key: string) => string,
  watched: WatchedTrips,
  /** Called when publishing failed (Redis down): this instance's own sockets fall back to the log. */
  onFailure: (tripIds: string[]) => void,
): () => Promise<void> {
  const inFlight = new Set<Promise<void>>();
  const publish = async (changes: readonly RecordedChange[], tripIds: string[]) => {
    const watchedIds = await watched(tripIds);
    if (watchedIds.size === 0) return;
    const shown = changes.filter((change) => change.tripId !== null && watchedIds.has(change.tripId));
    for (const event of await presentChanges(ctx.db, mediaUrl, shown))
      await ctx.platform.pubsub.publish(channelOf(event.tripId), changeEnvelope(event));
  };
  const listener = (changes: readonly RecordedChange[]) => {
    const tripIds = [...new Set(changes.flatMap((c) => (c.tripId ? [c.tripId] : [])))];
    if (tripIds.length === 0) return;
    // A lost publish is not lost to clients: every instance falls back to the log (local-room.ts).
    const task = publish(changes, tripIds)
      .catch((error: unknown) => {
        ctx.logger.warn({ err: error }, 'could not publish live changes');
        onFailure(tripIds);
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    trackAfterCommit(task);
  };
  ctx.changeListeners.push(listener);
  return async () => {
    const index = ctx.changeListeners.indexOf(listener);
    if (index >= 0) ctx.changeListeners.splice(index, 1);
    await Promise.all([...inFlight]);
  };
}
