import { eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { tripMembers, users } from '../db/schema/index.ts';
import type { ChangeInput } from '../modules/changes/record-change.ts';
import { inTransaction } from '../modules/changes/unit-of-work.ts';
import { postSystemMessage } from '../modules/chat/system-messages.ts';
import { displayName } from '../modules/collaborators/emails.ts';
import { trackAfterCommit } from './after-commit.ts';

/** Collaborator inserts of a commit that are joins (not the owner made with a new trip). */
function joinsIn(changes: readonly ChangeInput[]): ChangeInput[] {
  const newTrips = new Set(
    changes.filter((c) => c.entity === 'trip' && c.op === 'insert').map((c) => c.tripId),
  );
  return changes.filter((c) => c.entity === 'collaborator' && c.op === 'insert' && !newTrips.has(c.tripId));
}

/**
 * Announces joins in the trip's chat ("Ana joined the trip") once the membership commits, from
 * any path that adds a member (direct add, invitation, registration). Runs on the instance that
 * committed, so exactly once; the returned function waits for writes in flight (for shutdown).
 */
export function announceJoins(ctx: AppContext): () => Promise<void> {
  const inFlight = new Set<Promise<void>>();
  const announce = async (memberIds: string[]) => {
    const rows = await ctx.db
      .select({ tripId: tripMembers.tripId, user: users })
      .from(tripMembers)
      .innerJoin(users, eq(users.id, tripMembers.userId))
      .where(inArray(tripMembers.id, memberIds));
    // A member removed again before this ran is simply not announced.
    for (const row of rows) {
      await inTransaction(ctx, (unit) =>
        postSystemMessage(unit, { tripId: row.tripId, content: `${displayName(row.user)} joined the trip` }),
      );
    }
  };
  ctx.changeListeners.push((changes) => {
    const joins = joinsIn(changes);
    if (joins.length === 0) return;
    const task = announce(joins.map((c) => c.entityId))
      .catch((error: unknown) => ctx.logger.error({ err: error }, 'could not announce a join in chat'))
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    trackAfterCommit(task);
  });
  return async () => {
    await Promise.all([...inFlight]);
  };
}
