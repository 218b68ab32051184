import type { TripRow } from '../../db/schema/index.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import { toDate, toTime } from '../../http/dates.ts';
import { fieldError, validationError, type AppError } from '../../http/errors.ts';

/** A day's date, normalised, and inside the trip's dates when the trip has them. */
export function dayDateIn(trip: Pick<TripRow, 'startDate' | 'endDate'>, value: string): string {
  const date = toDate(value, 'date');
  if (trip.startDate && date < trip.startDate)
    throw fieldError('date', `Date must be on or after the trip's start date (${trip.startDate}).`);
  if (trip.endDate && date > trip.endDate)
    throw fieldError('date', `Date must be on or before the trip's end date (${trip.endDate}).`);
  return date;
}

/** The 400 for a second day on the same date of one trip. */
export const duplicateDay = (date: string): AppError =>
  fieldError('date', `This trip already has an itinerary for ${date}.`);

/** Turns the (trip, date) unique index firing under a race into the same 400 as the pre-check. */
export function asDuplicateDay(error: unknown, date: string): unknown {
  return isUniqueViolation(error, 'itineraries_trip_date_key') ? duplicateDay(date) : error;
}

/**
 * Start and end times after applying input to the current values (undefined = keep, null =
 * clear), normalised to HH:MM:SS; an end before the start is a field error on end_time.
 */
export function itemTimes(
  input: { start_time?: string | null; end_time?: string | null },
  current: { startTime: string | null; endTime: string | null } = { startTime: null, endTime: null },
): { startTime: string | null; endTime: string | null } {
  const pick = (value: string | null | undefined, kept: string | null, field: string) =>
    value === undefined ? kept : value === null ? null : toTime(value, field);
  const startTime = pick(input.start_time, current.startTime, 'start_time');
  const endTime = pick(input.end_time, current.endTime, 'end_time');
  if (startTime && endTime && endTime < startTime)
    throw validationError({ end_time: ['End time must be at or after the start time.'] });
  return { startTime, endTime };
}

/** A required title, trimmed; only spaces counts as blank. */
export function itemTitle(value: string): string {
  const title = value.trim();
  if (!title) throw fieldError('title', 'This field may not be blank.');
  return title;
}
