import type { Cursor } from '../changes/read-changes.ts';

/** The snapshot phases: the order in which a snapshot sends each trip's objects (parents first). */
export const PHASES = ['trip', 'collaborator', 'itinerary', 'item', 'poll'] as const;
export type Phase = (typeof PHASES)[number];

/**
 * The last object a snapshot sent, in its paging order: the caller's memberships by join position
 * (then trip); within a trip, the phases in order; within a phase, objects by id.
 */
export interface SnapshotKey {
  joined: Cursor;
  trip: string;
  phase: Phase;
  id: string;
}

/**
 * A snapshot being sent: of the caller's memberships that joined after `from` (every membership
 * when null: a first sync) and at or before the cursor's position; `after` is the last object sent.
 */
export interface SnapshotState {
  from: Cursor | null;
  after: SnapshotKey | null;
}

/**
 * Everything the server needs to continue a client's feed, handed to the client as an opaque string
 * of fixed size, whatever the number of trips:
 * - `position`: the change-log position below which everything is reflected in what the client
 *   holds. It also says which trips the client holds: the memberships whose join is at or below it
 *   (the membership log, positioned like the change log, tells the rest);
 * - `snapshot`: a snapshot still being sent (first sync, or trips gained since `from`).
 */
export interface SyncCursor {
  position: Cursor;
  snapshot: SnapshotState | null;
}

/**
 * A cursor of format 1 (until 2026-11): the log position plus the list of the trips the client held
 * and a snapshot of some of them. Accepted once and converted by the feed (see feed.ts).
 */
export interface LegacyCursor {
  legacy: true;
  position: Cursor;
  known: string[];
  /** A snapshot was still being sent: it cannot be resumed, the feed starts a new one. */
  snapshotting: boolean;
}

const FORMAT = 2;
const IDLE = 1 + 8 + 8 + 1;
const SNAPSHOTTING = IDLE + 1 + 16 + 16 + 16 + 1 + 16;
const HAS_FROM = 1;
const HAS_AFTER = 2;

const uuidToBytes = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex');
function bytesToUuid(buffer: Buffer, offset: number): string {
  const hex = buffer.subarray(offset, offset + 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
function writePosition(buffer: Buffer, at: number, position: Cursor): void {
  buffer.writeBigUInt64BE(position.txid, at);
  buffer.writeBigUInt64BE(position.seq, at + 8);
}
const readPosition = (buffer: Buffer, at: number): Cursor => ({
  txid: buffer.readBigUInt64BE(at),
  seq: buffer.readBigUInt64BE(at + 8),
});
/** The largest value of `bigint` (seq); xid8 is wider, but no txid gets near it either. */
const MAX_INT8 = 2n ** 63n - 1n;
const inRange = (position: Cursor) => position.txid <= MAX_INT8 && position.seq <= MAX_INT8;

/**
 * Binary, then base64url: 24 characters while following the log, 112 while a snapshot is being
 * sent, whatever the number of trips. Layout: format (2), position (txid, seq), snapshot flag; then
 * flags (from, after present), from (txid, seq), after (join txid, join seq, trip, phase, id).
 * Tampering buys nothing: every page reads only the caller's current memberships.
 */
export function encodeSyncCursor(cursor: SyncCursor): string {
  const { snapshot } = cursor;
  const buffer = Buffer.alloc(snapshot ? SNAPSHOTTING : IDLE);
  buffer.writeUInt8(FORMAT, 0);
  writePosition(buffer, 1, cursor.position);
  if (!snapshot) return buffer.toString('base64url');
  buffer.writeUInt8(1, 17);
  buffer.writeUInt8((snapshot.from ? HAS_FROM : 0) | (snapshot.after ? HAS_AFTER : 0), 18);
  if (snapshot.from) writePosition(buffer, 19, snapshot.from);
  const { after } = snapshot;
  if (after) {
    writePosition(buffer, 35, after.joined);
    uuidToBytes(after.trip).copy(buffer, 51);
    buffer.writeUInt8(PHASES.indexOf(after.phase), 67);
    uuidToBytes(after.id).copy(buffer, 68);
  }
  return buffer.toString('base64url');
}

/** The cursor a client sent back, or null when it is not one of ours (the route answers 400). */
export function decodeSyncCursor(text: string): SyncCursor | LegacyCursor | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const buffer = Buffer.from(text, 'base64url');
  if (buffer.length > 0 && buffer.readUInt8(0) === 1) return decodeLegacy(buffer);
  if (buffer.length < IDLE || buffer.readUInt8(0) !== FORMAT) return null;
  const position = readPosition(buffer, 1);
  if (!inRange(position)) return null;
  const snapshotting = buffer.readUInt8(17);
  if (snapshotting === 0) return buffer.length === IDLE ? { position, snapshot: null } : null;
  if (snapshotting !== 1 || buffer.length !== SNAPSHOTTING) return null;
  const flags = buffer.readUInt8(18);
  const phase = PHASES[buffer.readUInt8(67)];
  if (flags > (HAS_FROM | HAS_AFTER) || !phase) return null;
  const from = flags & HAS_FROM ? readPosition(buffer, 19) : null;
  const after =
    flags & HAS_AFTER
      ? {
          joined: readPosition(buffer, 35),
          trip: bytesToUuid(buffer, 51),
          phase,
          id: bytesToUuid(buffer, 68),
        }
      : null;
  if ((from && !inRange(from)) || (after && !inRange(after.joined))) return null;
  return { position, snapshot: { from, after } };
}

export const isLegacy = (cursor: SyncCursor | LegacyCursor): cursor is LegacyCursor => 'legacy' in cursor;

/**
 * Format 1: a 39-byte header (format, txid, seq, phase, has-after, after id, trip count), then the
 * known trips (16 bytes each, sorted) and a bitmap of those still pending in a snapshot.
 */
const LEGACY_HEADER = 1 + 8 + 8 + 1 + 1 + 16 + 4;
const LEGACY_MAX_TRIPS = 20_000;

function decodeLegacy(buffer: Buffer): LegacyCursor | null {
  if (buffer.length < LEGACY_HEADER) return null;
  const phaseByte = buffer.readUInt8(17);
  const hasAfter = buffer.readUInt8(18);
  const count = buffer.readUInt32BE(35);
  if (phaseByte > PHASES.length || hasAfter > 1 || count > LEGACY_MAX_TRIPS) return null;
  if (buffer.length !== LEGACY_HEADER + count * 16 + Math.ceil(count / 8)) return null;
  const position = readPosition(buffer, 1);
  if (!inRange(position)) return null;
  const known: string[] = [];
  for (let index = 0; index < count; index++) known.push(bytesToUuid(buffer, LEGACY_HEADER + index * 16));
  return { legacy: true, position, known, snapshotting: phaseByte !== 0 };
}
