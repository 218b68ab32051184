import { isDeepStrictEqual } from 'node:util';
import { and, desc, eq, gt } from 'drizzle-orm';
import type { Tx } from '../../db/index.ts';
import { changes, tripMembers, trips } from '../../db/schema/index.ts';

/** Names one version of one object: the batch remembers the versions its own mutations produced. */
export const versionKey = (entity: string, id: string, version: number) => `${entity}:${id}:${version}`;

/**
 * The API fields of an object the server changed after `baseVersion`, from the change log (every
 * write logs the fields it changed with the version it produced). Versions in `own` were produced
 * by earlier mutations of the same batch: a client's second offline edit of an object shares the
 * first one's base version and must not conflict with it. One indexed query.
 */
export async function fieldsChangedSince(
  tx: Tx,
  props: { entity: string; id: string; baseVersion: number; own: ReadonlySet<string> },
): Promise<Set<string>> {
  const rows = await tx
    .select({ version: changes.version, fields: changes.fields })
    .from(changes)
    .where(
      and(
        eq(changes.entity, props.entity),
        eq(changes.entityId, props.id),
        gt(changes.version, props.baseVersion),
      ),
    );
  return new Set(
    rows
      .filter((r) => !props.own.has(versionKey(props.entity, props.id, r.version)))
      .flatMap((r) => r.fields),
  );
}

/**
 * The fields a mutation sets that the server also changed since its base version — unless the server
 * already holds the very value the client wants (both made the same edit: nothing to resolve).
 */
export function conflictingFields(
  sent: Record<string, unknown>,
  changedOnServer: Set<string>,
  current: Record<string, unknown> | null,
): string[] {
  return Object.keys(sent).filter(
    (field) => changedOnServer.has(field) && !(current && isDeepStrictEqual(current[field], sent[field])),
  );
}

/**
 * Whether an object the caller cannot find was deleted from a trip the caller belongs to (or belonged
 * to: for a deleted trip, the caller must have written in it), so a stale edit can be answered with a
 * "deleted" conflict instead of a bare 404 — without telling strangers anything.
 */
export async function deletedUnderCaller(
  tx: Tx,
  entity: string,
  id: string,
  userId: string,
): Promise<boolean> {
  const [last] = await tx
    .select({ tripId: changes.tripId, op: changes.op })
    .from(changes)
    .where(and(eq(changes.entity, entity), eq(changes.entityId, id)))
    .orderBy(desc(changes.seq))
    .limit(1);
  if (!last?.tripId) return false;
  const [trip] = await tx.select({ id: trips.id }).from(trips).where(eq(trips.id, last.tripId));
  if (trip) {
    if (last.op !== 'delete') return false;
    const [member] = await tx
      .select({ id: tripMembers.id })
      .from(tripMembers)
      .where(and(eq(tripMembers.tripId, trip.id), eq(tripMembers.userId, userId)));
    return Boolean(member);
  }
  // The whole trip is gone (and everything in it); its members are gone with it, so the log is
  // the only witness that the caller took part.
  const [witness] = await tx
    .select({ seq: changes.seq })
    .from(changes)
    .where(and(eq(changes.tripId, last.tripId), eq(changes.actorId, userId)))
    .limit(1);
  return Boolean(witness);
}
