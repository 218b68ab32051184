import type { ItineraryItemRow, ItineraryRow } from '../../db/schema/index.ts';

/** The item object of the spec; the `position` column is the API's `order`. */
export function presentItem(item: ItineraryItemRow) {
  return {
    id: item.id,
    itinerary: item.itineraryId,
    trip: item.tripId,
    title: item.title,
    description: item.description,
    start_time: item.startTime,
    end_time: item.endTime,
    location: item.location,
    order: item.position,
    version: item.version,
    created_at: item.createdAt.toISOString(),
    updated_at: item.updatedAt.toISOString(),
  };
}
export type ItemView = ReturnType<typeof presentItem>;

/** The day object of the spec with its items, which must already be in order. */
export function presentDay(day: ItineraryRow, items: readonly ItineraryItemRow[]) {
  return {
    id: day.id,
    trip: day.tripId,
    date: day.date,
    title: day.title,
    notes: day.notes,
    items: items.map(presentItem),
    item_count: items.length,
    version: day.version,
    created_at: day.createdAt.toISOString(),
    updated_at: day.updatedAt.toISOString(),
  };
}
export type DayView = ReturnType<typeof presentDay>;
