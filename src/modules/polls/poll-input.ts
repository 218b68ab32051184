import { fieldError, validationError } from '../../http/errors.ts';
import { MAX_OPTION_LENGTH } from './schemas.ts';

/**
 * Trims the options and checks what the schema cannot: 1–200 characters after trimming and no two
 * equal ignoring case and surrounding spaces. Problems are reported on `options`, naming the option.
 */
export function normaliseOptions(options: string[]): string[] {
  const trimmed = options.map((o) => o.trim());
  const problems: string[] = [];
  trimmed.forEach((text, index) => {
    if (text.length === 0) problems.push(`Option ${index + 1} may not be blank.`);
    else if (text.length > MAX_OPTION_LENGTH)
      problems.push(`Option ${index + 1} has more than ${MAX_OPTION_LENGTH} characters.`);
  });
  const seen = new Map<string, string>();
  for (const text of trimmed) {
    const key = text.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined && text.length > 0) {
      const problem = `Duplicate option "${text}" (same as "${first}", ignoring case and spaces).`;
      if (!problems.includes(problem)) problems.push(problem);
    } else seen.set(key, text);
  }
  if (problems.length > 0) throw validationError({ options: problems });
  return trimmed;
}

/** The question trimmed; blank after trimming is a field error. */
export function normaliseQuestion(question: string): string {
  const text = question.trim();
  if (text.length === 0) throw fieldError('question', 'This field may not be blank.');
  return text;
}

/** A deadline must lie in the future (server time); null removes it. */
export function futureClosesAt(value: string | null, now = new Date()): Date | null {
  if (value === null) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw fieldError('closes_at', 'Enter a valid date-time.');
  if (date.getTime() <= now.getTime())
    throw fieldError('closes_at', 'The closing time must be in the future.');
  return date;
}
