import { fieldError } from '../../http/errors.ts';
import { MAX_CONTENT_CHARS } from './schemas.ts';

/**
 * The one content rule, for REST and socket alike: 1–10000 characters once trimmed. Characters
 * are code points, so an emoji counts once, as a user would count it.
 */
export function checkContent(raw: string, field = 'content'): string {
  const content = raw.trim();
  if (content === '') throw fieldError(field, 'This field may not be blank.');
  let length = 0;
  for (const _ of content) if (++length > MAX_CONTENT_CHARS) break;
  if (length > MAX_CONTENT_CHARS)
    throw fieldError(field, `Ensure this field has no more than ${MAX_CONTENT_CHARS} characters.`);
  return content;
}

/** The first `n` characters (code points), for reply previews. */
export const firstChars = (text: string, n: number): string => Array.from(text).slice(0, n).join('');
