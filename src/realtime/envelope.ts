import { decodeCursor, encodeCursor } from '../modules/changes/read-changes.ts';
import type { TripAction } from '../modules/trips/policy.ts';
import type { ChangeEffect, ChangeEvent } from './change-frames.ts';

/** Routing data travelling with a frame between instances; the frame text itself is never re-parsed. */
export type Meta =
  | { k: 'change'; c: string; a: TripAction; e: ChangeEffect | null; n: boolean }
  | { k: 'presence' }
  | { k: 'typing'; u: string };

export const channelOf = (tripId: string) => `rt:trip:${tripId}`;

/** `<meta json>\n<frame>`: JSON never contains a raw newline, so the first one splits the two. */
export function encodeEnvelope(meta: Meta, frame: string): string {
  return `${JSON.stringify(meta)}\n${frame}`;
}

export function decodeEnvelope(raw: string): { meta: Meta; frame: string } | null {
  const split = raw.indexOf('\n');
  if (split < 0) return null;
  try {
    return { meta: JSON.parse(raw.slice(0, split)) as Meta, frame: raw.slice(split + 1) };
  } catch {
    return null;
  }
}

/** A change event as published (frame null travels as an empty string with n = true). */
export function changeEnvelope(event: ChangeEvent): string {
  const meta: Meta = {
    k: 'change',
    c: encodeCursor(event.cursor),
    a: event.audience,
    e: event.effect,
    n: event.frame === null,
  };
  return encodeEnvelope(meta, event.frame ?? '');
}

/** The change event inside a received change envelope, or null if it is malformed. */
export function changeFromEnvelope(
  tripId: string,
  meta: Extract<Meta, { k: 'change' }>,
  frame: string,
): ChangeEvent | null {
  const cursor = decodeCursor(meta.c);
  if (!cursor) return null;
  return { tripId, cursor, audience: meta.a, effect: meta.e, frame: meta.n ? null : frame };
}
