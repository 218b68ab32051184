import { changes } from '../../db/schema/index.ts';
import type { Db, Tx } from '../../db/index.ts';

export type EntityName =
  'user' | 'trip' | 'collaborator' | 'invitation' | 'itinerary' | 'item' | 'poll' | 'vote' | 'message';

export interface ChangeInput {
  tripId: string | null;
  entity: EntityName;
  entityId: string;
  op: 'insert' | 'update' | 'delete';
  version: number;
  actorId: string | null;
  /** The columns this write changed (API field names); the sync merge compares these. */
  fields: string[];
}

/**
 * Appends to the change log. Must be called with the transaction of the write it describes, so
 * the change and the write commit or roll back together.
 */
export async function recordChange(tx: Tx | Db, change: ChangeInput): Promise<void> {
  await tx.insert(changes).values(change);
}
