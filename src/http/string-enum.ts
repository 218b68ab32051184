import { Type, type TUnsafe } from '@sinclair/typebox';

/**
 * A string enum as plain JSON Schema `enum` (not TypeBox's anyOf of literals): OpenAPI shows the
 * values as an enum, and a wrong value gets one clear "Must be one of: …" error.
 */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description?: string; default?: T[number] } = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
