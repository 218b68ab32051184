/** Broken JSON bodies: one schema-aware mutation of a valid-looking body, or raw garbage text. */
import type { JsonSchema } from './openapi.ts';
import type { Prng } from './prng.ts';
import { sampleValue, setAt, slotsOf, typeOf, concrete, type Slot } from './schema-values.ts';
import {
  BAD_DATES,
  BAD_DATETIMES,
  BAD_EMAILS,
  BAD_TIMES,
  BAD_UUIDS,
  NUMBERISH_STRINGS,
  ODD_NUMBERS,
  ODD_UNICODE,
  Raw,
  bigArray,
  deepNesting,
  hugeString,
  toJsonText,
  wrongTypeValue,
} from './values.ts';

/** Real ids of the wrong kind (or of a trip the caller cannot see) for uuid fields. */
const WRONG_FIXTURES = [
  '§trip2§',
  '§day§',
  '§item§',
  '§poll§',
  '§option§',
  '§option2§',
  '§user:owner§',
  '§message§',
  '§invitation§',
  '§trip§',
];

function badFormatValue(slot: Slot, rng: Prng): unknown {
  const s = concrete(slot.schema);
  const format = s.format as string | undefined;
  const pattern = s.pattern as string | undefined;
  if (format === 'uuid') return rng.chance(0.4) ? rng.pick(WRONG_FIXTURES) : rng.pick(BAD_UUIDS);
  if (format === 'date' || format === 'date-or-datetime') return rng.pick(BAD_DATES);
  if (format === 'date-time') return rng.pick(BAD_DATETIMES);
  if (format === 'email' || slot.path.at(-1) === 'email') return rng.pick(BAD_EMAILS);
  if (pattern?.includes(':')) return rng.pick(BAD_TIMES);
  if (Array.isArray(s.enum))
    return rng.pick([
      '',
      'ADMIN',
      'owner ',
      ' Owner',
      'superuser',
      'draft\u0000',
      'null',
      String(s.enum[0]).toUpperCase(),
    ]);
  return rng.pick(ODD_UNICODE);
}

function boundaryString(slot: Slot, rng: Prng): string {
  const s = concrete(slot.schema);
  const max = typeof s.maxLength === 'number' ? s.maxLength : 1000;
  const unit = rng.pick(['a', '😀', 'é', '\u0301', ' ', '\u200B']);
  return rng.pick([
    unit.repeat(max + 1),
    unit.repeat(max),
    '',
    ' ',
    '\t\n',
    unit.repeat(Math.max(0, max - 1)) + ' ',
  ]);
}

function arrayValue(slot: Slot, rng: Prng, opKey: string): unknown {
  const items = (concrete(slot.schema).items ?? {}) as JsonSchema;
  const one = sampleValue(items, String(slot.path.at(-1)), rng, opKey);
  return rng.pick<unknown>([
    [],
    [one, one, one],
    [null],
    [one, null],
    [[one]],
    [{ value: one }],
    Array.from({ length: rng.pick([21, 501, 1001, 5000]) }, (_, i) =>
      typeof one === 'string' ? `${one}${i}` : one,
    ),
    bigArray(rng),
    [rng.pick(ODD_UNICODE), rng.pick(ODD_UNICODE)],
    ['x', 'X', ' x '],
  ]);
}

const MUTATIONS = [
  'wrong-type',
  'missing',
  'extra',
  'null',
  'huge-string',
  'unicode',
  'number',
  'format',
  'bounds',
  'array',
  'deep',
  'shape',
  'several',
] as const;
export type BodyMutation = (typeof MUTATIONS)[number];

/** One mutated body (as JSON text) and a label for the report. */
export function mutateBody(schema: JsonSchema, rng: Prng, opKey: string): { kind: string; text: string } {
  const base = sampleValue(schema, '', rng, opKey) as Record<string, unknown>;
  const slots = slotsOf(schema);
  const kind: BodyMutation =
    slots.length === 0 ? rng.pick(['extra', 'shape', 'deep', 'wrong-type'] as const) : rng.pick(MUTATIONS);
  const rounds = kind === 'several' ? 2 + rng.int(3) : 1;
  let body: unknown = base;
  let label: string = kind;
  for (let i = 0; i < rounds; i++) {
    const effective =
      kind === 'several' ? rng.pick(MUTATIONS.filter((m) => m !== 'several' && m !== 'shape')) : kind;
    const slot = slots.length > 0 ? rng.pick(slots) : { path: ['unexpected'], schema: {}, required: false };
    body = applyMutation(body, effective, slot, slots, rng, opKey);
    if (kind !== 'several') label = `${kind}:${slot.path.join('.') || 'root'}`;
  }
  return { kind: `body:${label}`, text: toJsonText(body) };
}

function applyMutation(
  body: unknown,
  kind: Exclude<BodyMutation, 'several'>,
  slot: Slot,
  slots: Slot[],
  rng: Prng,
  opKey: string,
): unknown {
  switch (kind) {
    case 'wrong-type':
      return setAt(body, slot.path, wrongTypeValue(rng));
    case 'missing': {
      const required = slots.filter((s) => s.required);
      if (required.length === 0 || rng.chance(0.2)) return {};
      return setAt(body, rng.pick(required).path, undefined);
    }
    case 'extra': {
      const extras: [string, unknown][] = [
        ['unknown_field', 'x'],
        ['is_staff', true],
        ['is_superuser', true],
        ['role', 'owner'],
        ['version', 999999],
        ['created_at', '1970-01-01T00:00:00Z'],
        ['creator', '§user:stranger§'],
        ['trip', '§trip2§'],
        [rng.pick(ODD_UNICODE) || 'empty', 1],
        ['a'.repeat(10_000), 1],
      ];
      const [key, value] = rng.pick(extras);
      const parent = slot.path.slice(0, -1);
      return setAt(body, [...parent, key], value);
    }
    case 'null':
      return setAt(body, slot.path, null);
    case 'huge-string':
      return setAt(body, slot.path, hugeString(rng));
    case 'unicode': {
      const odd = rng.pick(ODD_UNICODE);
      const mode = rng.int(3);
      const value = mode === 0 ? odd : mode === 1 ? `Trip ${odd} name` : `${odd}${odd}${odd}`;
      return setAt(body, slot.path, value);
    }
    case 'number':
      return setAt(body, slot.path, rng.chance(0.75) ? rng.pick(ODD_NUMBERS) : rng.pick(NUMBERISH_STRINGS));
    case 'format':
      return setAt(body, slot.path, badFormatValue(slot, rng));
    case 'bounds':
      return setAt(
        body,
        slot.path,
        typeOf(slot.schema) === 'array' ? arrayValue(slot, rng, opKey) : boundaryString(slot, rng),
      );
    case 'array':
      return setAt(body, slot.path, arrayValue(slot, rng, opKey));
    case 'deep':
      return rng.chance(0.2) ? deepNesting(rng) : setAt(body, slot.path, deepNesting(rng));
    case 'shape':
      return rng.pick<unknown>([
        [],
        [body],
        'string',
        0,
        null,
        true,
        new Raw('""'),
        bigArray(rng),
        { data: body },
      ]);
  }
}

/** Raw bodies that are not valid JSON, or are JSON the parser must still refuse. */
export function rawGarbage(rng: Prng, validText: string): { kind: string; body: string | Buffer } {
  const variants: [string, () => string | Buffer][] = [
    ['not-json', () => 'not json at all'],
    ['truncated', () => validText.slice(0, Math.max(1, Math.floor(validText.length / 2)))],
    ['unclosed', () => '{'],
    ['trailing-comma', () => validText.replace(/}$/, ',}')],
    ['single-quotes', () => validText.replace(/"/g, "'")],
    ['trailing-garbage', () => `${validText} trailing`],
    ['two-documents', () => `${validText}${validText}`],
    ['bom', () => `\uFEFF${validText}`],
    ['nan', () => '{"page": NaN, "value": Infinity}'],
    ['comments', () => `/* c */ ${validText}`],
    ['duplicate-keys', () => validText.replace(/^\{/, '{"title":"a","title":"b",')],
    ['proto', () => validText.replace(/^\{/, '{"__proto__":{"is_staff":true},')],
    ['constructor', () => validText.replace(/^\{/, '{"constructor":{"prototype":{"is_staff":true}},')],
    ['deep-proto', () => `${'{"a":'.repeat(5000)}{"__proto__":{}}${'}'.repeat(5000)}`],
    ['json-scalar', () => rng.pick(['null', 'true', '0', '"text"', '[]', '-0', '1e999'])],
    ['deep', () => deepNesting(rng).json],
    ['big-array', () => bigArray(rng).json],
    ['over-limit', () => `{"title":"${'a'.repeat(1_100_000)}"}`],
    ['huge-number', () => `{"n":${'9'.repeat(100_000)}}`],
    ['whitespace', () => ' \n\t '],
    ['nul-bytes', () => '\u0000\u0000{}'],
    [
      'invalid-utf8',
      () =>
        Buffer.concat([
          Buffer.from('{"title":"'),
          Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
          Buffer.from('"}'),
        ]),
    ],
    ['utf16', () => Buffer.from(validText, 'utf16le')],
    ['binary', () => Buffer.from(Array.from({ length: 64 + rng.int(4096) }, () => rng.int(256)))],
    ['escaped-surrogates', () => '{"title":"\\ud800\\udc00\\udfff\\ud800","description":"\\u0000"}'],
    ['bad-escape', () => '{"title":"\\x41\\u12"}'],
  ];
  const [kind, make] = rng.pick(variants);
  return { kind: `raw:${kind}`, body: make() };
}
