import type { Cursor } from '../modules/changes/read-changes.ts';

/** Orders two cursors as the change log does: by transaction, then sequence. */
export function compareCursors(a: Cursor, b: Cursor): number {
  if (a.txid !== b.txid) return a.txid < b.txid ? -1 : 1;
  return a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1;
}
