import { and, asc, eq, gt, lt, or } from 'drizzle-orm';
import type { Tx } from '../../db/index.ts';
import { itineraries } from '../../db/schema/index.ts';
import { toDate } from '../../http/dates.ts';
import { validationError } from '../../http/errors.ts';

/** Normalises optional date inputs (undefined = not sent, null = clear) and checks end ≥ start. */
export function normaliseTripDates(
  input: { start_date?: string | null; end_date?: string | null },
  current: { startDate: string | null; endDate: string | null } = { startDate: null, endDate: null },
): { startDate: string | null; endDate: string | null } {
  const startDate =
    input.start_date === undefined
      ? current.startDate
      : input.start_date === null
        ? null
        : toDate(input.start_date, 'start_date');
  const endDate =
    input.end_date === undefined
      ? current.endDate
      : input.end_date === null
        ? null
        : toDate(input.end_date, 'end_date');
  if (startDate && endDate && endDate < startDate) {
    throw validationError({ end_date: ['End date must be on or after the start date.'] });
  }
  return { startDate, endDate };
}

/** Refuses new trip dates that would leave existing itinerary days outside, naming those days. */
export async function assertDaysInside(
  tx: Tx,
  tripId: string,
  startDate: string | null,
  endDate: string | null,
): Promise<void> {
  const outside = [];
  if (startDate) outside.push(lt(itineraries.date, startDate));
  if (endDate) outside.push(gt(itineraries.date, endDate));
  if (outside.length === 0) return;
  const days = await tx
    .select({ date: itineraries.date })
    .from(itineraries)
    .where(and(eq(itineraries.tripId, tripId), or(...outside)))
    .orderBy(asc(itineraries.date));
  if (days.length === 0) return;
  const list = days.map((d) => d.date).join(', ');
  const problem = `Itinerary days ${list} would fall outside the trip dates; move or delete them first.`;
  const details: Record<string, string[]> = {};
  if (startDate && days.some((d) => d.date < startDate)) details.start_date = [problem];
  if (endDate && days.some((d) => d.date > endDate)) details.end_date = [problem];
  throw validationError(details);
}
