import type { AppContext } from '../../context.ts';
import type { Tx } from '../../db/index.ts';
import { recordChange, type ChangeInput, type RecordedChange } from './record-change.ts';

export type Record = (change: ChangeInput) => Promise<void>;

/** A write's transaction plus the changes it recorded, published only once it commits. */
export interface Unit {
  tx: Tx;
  /** Appends to the change log inside this transaction. */
  record: Record;
}

/**
 * Runs `fn` in one transaction. Every change recorded through `unit.record` is written in that
 * transaction and handed to the app's change listeners after commit — never for a rollback.
 */
export async function inTransaction<T>(
  ctx: Pick<AppContext, 'db' | 'changeListeners' | 'logger'>,
  fn: (unit: Unit) => Promise<T>,
): Promise<T> {
  const recorded: RecordedChange[] = [];
  const result = await ctx.db.transaction(async (tx) => {
    recorded.length = 0; // a retried transaction starts over
    return fn({
      tx,
      record: async (change) => {
        recorded.push(await recordChange(tx, change));
      },
    });
  });
  for (const listener of ctx.changeListeners) {
    try {
      listener(recorded);
    } catch (error) {
      ctx.logger.error({ err: error }, 'change listener failed');
    }
  }
  return result;
}
