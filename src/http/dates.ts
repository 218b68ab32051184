import { fieldError } from './errors.ts';

/**
 * A calendar date from `YYYY-MM-DD` or a full ISO datetime (its date part, as the spec allows).
 * Impossible dates such as 2025-02-30 are a field error, not a silent roll-over.
 */
export function toDate(value: string, field: string): string {
  const date = value.slice(0, 10);
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const check = new Date(Date.UTC(y, m - 1, d));
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(date) ||
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== m - 1 ||
    check.getUTCDate() !== d
  ) {
    throw fieldError(field, 'Enter a valid date (YYYY-MM-DD).');
  }
  return date;
}

/** `HH:MM` or `HH:MM:SS` normalised to `HH:MM:SS`; out-of-range values are a field error. */
export function toTime(value: string, field: string): string {
  const match = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!match || Number(match[1]) > 23 || Number(match[2]) > 59 || Number(match[3] ?? 0) > 59) {
    throw fieldError(field, 'Enter a valid time (HH:MM or HH:MM:SS).');
  }
  return `${match[1]}:${match[2]}:${match[3] ?? '00'}`;
}

export const DATE_INPUT = {
  type: 'string',
  format: 'date-or-datetime',
  description: 'YYYY-MM-DD (a full ISO datetime is accepted; its date part is used)',
} as const;
export const TIME_INPUT = {
  type: 'string',
  pattern: '^\\d{2}:\\d{2}(:\\d{2})?$',
  description: 'HH:MM or HH:MM:SS',
} as const;
