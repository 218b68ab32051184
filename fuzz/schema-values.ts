/**
 * Valid-looking values from a JSON schema (the baseline a mutation starts from, so a request gets
 * past the first check and exercises the deeper ones), and the map of where values can be changed.
 */
import type { JsonSchema } from './openapi.ts';
import type { Prng } from './prng.ts';
import { PASSWORD, TRIP_START } from './world.ts';

/** Fields whose valid value is a fixture (placeholders are filled in just before sending). */
const FIELD_FIXTURES: Record<string, string> = {
  trip: '§trip§',
  trip_id: '§trip§',
  itinerary: '§day§',
  itinerary_id: '§day§',
  option_id: '§option§',
  chat_room: '§room§',
  reply_to: '§message§',
  message_id: '§message§',
  user: '§user:stranger§',
  user_id: '§user:stranger§',
  refresh: '§refresh§',
  refresh_token: '§refresh§',
  password: PASSWORD,
  password_confirm: PASSWORD,
  new_password: PASSWORD,
  new_password_confirm: PASSWORD,
  current_password: PASSWORD,
  old_password: PASSWORD,
  content: 'hello there',
  token: '§inviteToken§',
};

/** The first non-null branch of a union, or the schema itself. */
export function concrete(schema: JsonSchema): JsonSchema {
  const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (branches) return concrete(branches.find((b) => b.type !== 'null') ?? branches[0] ?? {});
  return schema;
}

export function typeOf(schema: JsonSchema): string | undefined {
  const type = concrete(schema).type;
  if (Array.isArray(type)) return type.find((t) => t !== 'null') as string | undefined;
  return type as string | undefined;
}

function fit(text: string, schema: JsonSchema): string {
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  let value = text.slice(0, max);
  while (value.length < min) value += 'x';
  return value;
}

function sampleString(schema: JsonSchema, field: string, rng: Prng, opKey: string): string {
  if (field in FIELD_FIXTURES) return FIELD_FIXTURES[field]!;
  const format = schema.format as string | undefined;
  const pattern = schema.pattern as string | undefined;
  if (field === 'email' || format === 'email')
    return opKey.includes('/auth/login') ? '§email:owner§' : `fz-${rng.word()}@example.test`;
  if (format === 'uuid') return rng.uuid();
  if (format === 'date' || format === 'date-or-datetime')
    return `${TRIP_START.slice(0, 8)}0${1 + rng.int(9)}`;
  if (format === 'date-time') return '2031-06-01T12:00:00Z';
  if (format === 'uri') return 'https://example.test/';
  if (format === 'binary') return 'file';
  if (pattern?.includes(':')) return rng.pick(['09:00', '10:30', '18:45:00']);
  if (pattern) return fit(`fz_${rng.word()}`, schema);
  if (field === 'cursor') return '';
  return fit(`${field} ${rng.word(5)}`, schema);
}

/** A value that satisfies `schema` (as far as the schema says; business rules may still refuse it). */
export function sampleValue(schema: JsonSchema, field: string, rng: Prng, opKey: string, depth = 0): unknown {
  const s = concrete(schema);
  if (Array.isArray(s.enum)) return rng.pick(s.enum);
  if ('const' in s) return s.const;
  switch (typeOf(s)) {
    case 'string':
      return sampleString(s, field, rng, opKey);
    case 'integer':
    case 'number': {
      const min = typeof s.minimum === 'number' ? s.minimum : 1;
      const max = typeof s.maximum === 'number' ? s.maximum : min + 10;
      return Math.min(max, min + rng.int(3));
    }
    case 'boolean':
      return rng.chance(0.5);
    case 'null':
      return null;
    case 'array': {
      if (field === 'item_ids') return ['§item§'];
      const min = typeof s.minItems === 'number' ? s.minItems : 0;
      const items = (s.items ?? {}) as JsonSchema;
      const values = Array.from({ length: Math.max(min, 1) }, () =>
        sampleValue(items, field, rng, opKey, depth + 1),
      );
      // Lists of strings are usually "unique" in the business rules (poll options).
      return values.map((v, i) => (typeof v === 'string' && !v.includes('§') ? `${v} ${i}` : v));
    }
    case 'object':
    default: {
      if (depth > 4) return {};
      const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((s.required ?? []) as string[]);
      const out: Record<string, unknown> = {};
      for (const [name, child] of Object.entries(properties)) {
        // Client-supplied ids on creates are left out most of the time (a retry would hit the same row).
        if (!required.has(name) && !rng.chance(name === 'id' ? 0.15 : 0.6)) continue;
        out[name] = sampleValue(child, name, rng, opKey, depth + 1);
      }
      return out;
    }
  }
}

export interface Slot {
  /** Path from the body root: property names and array indexes. */
  path: (string | number)[];
  schema: JsonSchema;
  required: boolean;
}

/** Every place in a body schema a mutation can aim at (properties, array elements, nested objects). */
export function slotsOf(schema: JsonSchema, path: (string | number)[] = [], depth = 0): Slot[] {
  const s = concrete(schema);
  const slots: Slot[] = [];
  if (depth > 4) return slots;
  const type = typeOf(s);
  if (type === 'object' || s.properties) {
    const required = new Set((s.required ?? []) as string[]);
    for (const [name, child] of Object.entries((s.properties ?? {}) as Record<string, JsonSchema>)) {
      slots.push({ path: [...path, name], schema: child, required: required.has(name) });
      slots.push(...slotsOf(child, [...path, name], depth + 1));
    }
  } else if (type === 'array' && s.items) {
    slots.push({ path: [...path, 0], schema: s.items as JsonSchema, required: false });
    slots.push(...slotsOf(s.items as JsonSchema, [...path, 0], depth + 1));
  }
  return slots;
}

/** Sets `value` at `path`, creating containers on the way; `undefined` deletes the key. */
export function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const container: any =
    root !== null && typeof root === 'object' ? root : typeof head === 'number' ? [] : {};
  const next = setAt(container[head!], rest, value);
  if (next === undefined && rest.length === 0) {
    if (Array.isArray(container) && typeof head === 'number') container.splice(head, 1);
    else delete container[head!];
  } else container[head!] = next;
  return container;
}
