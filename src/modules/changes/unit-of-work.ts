import type { AppContext } from '../../context.ts';
import type { Tx } from '../../db/index.ts';
import { retryOnConflict } from '../../db/retry.ts';
import { transactionEndingWith, type Statement } from '../../db/transaction.ts';
import {
  changesInsert,
  recordedAfterCommit,
  type ChangeInput,
  type RecordedChange,
} from './record-change.ts';

export type Record = (change: ChangeInput) => Promise<void>;

/** A row as node-postgres or PGlite returns it (column name → value). */
type ResultRow = { [column: string]: unknown };

/** A write's transaction plus the changes it recorded, published only once it commits. */
export interface Unit {
  tx: Tx;
  /**
   * Appends to the change log inside this transaction. The rows are written together in one
   * statement when `fn` returns, sent with COMMIT (one round trip for the log and the commit);
   * nothing in a unit reads its own log rows back.
   */
  record: Record;
  /** Runs `fn` once this transaction has committed (never after a rollback). */
  afterCommit: (fn: () => void) => void;
  /**
   * A write nothing in the unit reads before commit, sent with COMMIT (before the change-log rows)
   * instead of in a round trip of its own: a prepared statement and its values (`Statement`).
   * It fails the transaction like any statement. For rows the unit holds locked, so what it will
   * write is known in advance (a vote's rows and its poll's version bump; a new item under its
   * day's lock). What it returns is read after commit, from the result (`rows`); reading it
   * before throws.
   */
  atCommit: (statement: Statement) => CommitRows;
}

/** The rows a statement sent with COMMIT returned (RETURNING), readable once the unit committed. */
export interface CommitRows {
  readonly rows: ResultRow[];
}

/**
 * Runs `fn` in one transaction. Every change recorded through `unit.record` is written in that
 * transaction and handed to the app's change listeners after commit — never for a rollback.
 * A transaction aborted by a deadlock or serialization failure is retried (`fn` must only write
 * through `unit.tx`, so running it again is safe).
 */
export async function inTransaction<T>(
  ctx: Pick<AppContext, 'db' | 'changeListeners' | 'logger'>,
  fn: (unit: Unit) => Promise<T>,
): Promise<T> {
  let recorded: RecordedChange[] = [];
  const committed: (() => void)[] = [];
  const attempt = async () => {
    const pending: ChangeInput[] = []; // a retried transaction starts over
    const deferred: { statement: Statement; result: ResultRow[] | null }[] = [];
    committed.length = 0;
    const atCommit = (statement: Statement): CommitRows => {
      const entry = { statement, result: null as ResultRow[] | null };
      deferred.push(entry);
      return {
        get rows() {
          if (!entry.result) throw new Error('rows of a statement sent with COMMIT, read before commit');
          return entry.result;
        },
      };
    };
    // The change-log rows are the transaction's last statement, sent along with COMMIT.
    const { value, lastRows, lastResults } = await transactionEndingWith(ctx.db, async (tx) => {
      const value = await fn({
        tx,
        record: async (change) => void pending.push(change),
        afterCommit: (hook) => void committed.push(hook),
        atCommit,
      });
      const log = pending.length > 0 ? [changesInsert(pending)] : [];
      return { value, last: [...deferred.map((d) => d.statement), ...log] };
    });
    deferred.forEach((entry, i) => (entry.result = lastResults[i]!));
    recorded = pending.length > 0 ? recordedAfterCommit(pending, lastRows) : [];
    return value;
  };
  const result = await retryOnConflict(attempt, (error, tries) =>
    ctx.logger.warn({ err: error, attempt: tries }, 'transaction aborted by a lock conflict; retrying'),
  );
  for (const hook of [...ctx.changeListeners.map((listener) => () => listener(recorded)), ...committed]) {
    try {
      hook();
    } catch (error) {
      ctx.logger.error({ err: error }, 'after-commit hook failed');
    }
  }
  return result;
}
