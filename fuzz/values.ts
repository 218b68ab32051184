/**
 * Catalogues of hostile values. Raw JSON fragments (numbers JSON.stringify cannot write, deep
 * nesting) are wrapped in `Raw` and spliced into the body text verbatim.
 */
import type { Prng } from './prng.ts';

/** A JSON fragment to splice into a body as-is (e.g. `1e999`, 10,000 nested arrays). */
export class Raw {
  constructor(readonly json: string) {}
}

export const KB100 = 100 * 1024;

const ZALGO = 'e' + '\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308'.repeat(1250); // 10,000 combining marks

/** Odd Unicode: lone surrogates, bidi controls, zero-width, emoji sequences, NUL, combining runs. */
export const ODD_UNICODE: readonly string[] = [
  '\uD800',
  '\uDFFF',
  'a\uD83Db',
  '\uDE00\uD83D',
  '\u202Egnp.exe',
  '\u200F\u200E\u061C',
  '\u2066x\u2069',
  '\u200B',
  '\u200B\u200C\u200D\uFEFF',
  '\uFEFF',
  '👨‍👩‍👧‍👦',
  '🏳️‍🌈🇺🇳',
  '\u0000',
  'a\u0000b',
  '\u0000'.repeat(64),
  ZALGO,
  'Ω≈ç√∫˜µ≤≥÷',
  '𝕿𝖗𝖎𝖕',
  '\u0085\u2028\u2029',
  '\r\n\t\v\f',
  '\u001b[31mred',
  '\uFFFD\uFFFE\uFFFF',
  '\u{10FFFF}',
  '𐀀',
  'ﷺ',
  '   ',
  '',
  "'; DROP TABLE trips; --",
  "' OR '1'='1",
  '%00',
  '../../../etc/passwd',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '\\',
  '"',
];

/** Strings of about 100 KB, in several shapes. */
export function hugeString(rng: Prng): string {
  switch (rng.int(6)) {
    case 0:
      return 'a'.repeat(KB100);
    case 1:
      return '😀'.repeat(KB100 / 4);
    case 2:
      return ('e' + '\u0301'.repeat(999)).repeat(KB100 / 1000);
    case 3:
      return '\u0000'.repeat(KB100);
    case 4:
      return '\uD800'.repeat(KB100 / 3);
    default:
      return ' '.repeat(KB100 - 1) + 'x';
  }
}

/** Numbers a handler might not expect, some only expressible as raw JSON. */
export const ODD_NUMBERS: readonly (number | Raw)[] = [
  -1,
  0,
  -0,
  1.5,
  -2147483649,
  2147483648,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER - 2,
  1e308,
  -1e308,
  5e-324,
  new Raw('1e999'),
  new Raw('-1e999'),
  new Raw('18446744073709551616'),
  new Raw('123456789012345678901234567890123456789'),
  new Raw('1' + '0'.repeat(400)),
  new Raw('1.0'),
  new Raw('-0.0'),
  new Raw('1E2'),
];

/** Strings that look like numbers but are not JSON numbers. */
export const NUMBERISH_STRINGS: readonly string[] = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e3',
  '0x10',
  '1_000',
  '',
  ' 1',
  '1,5',
  '٣',
];

/** Malformed UUIDs (for bodies, queries and path segments). */
export const BAD_UUIDS: readonly string[] = [
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '12345678-1234-1234-1234-1234567890ab-extra',
  '12345678-1234-1234-1234-1234567890a',
  '{12345678-1234-1234-1234-1234567890ab}',
  '12345678123412341234123456789 0ab',
  '123456781234123412341234567890ab',
  'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz',
  '1',
  '-1',
  '0',
  'null',
  'undefined',
  'true',
  '[object Object]',
  "1' OR '1'='1",
  '１２３４５６７８-1234-1234-1234-1234567890ab',
];

/** Values for date, time and datetime fields that are well-formed-ish but wrong. */
export const BAD_DATES: readonly string[] = [
  '2024-02-30',
  '2023-02-29',
  '2024-13-01',
  '2024-00-10',
  '0000-00-00',
  '0000-01-01',
  '0001-01-01',
  '9999-12-31',
  '99999-01-01',
  '2024-1-1',
  '2024-01-01T25:61:00Z',
  '2024-01-01T00:00:00+99:99',
  '+275760-09-13',
  '-000001-01-01',
  '1969-12-31T23:59:59.999999999Z',
  'yesterday',
  '2024/01/01',
  '2024-01-01 ',
];
export const BAD_TIMES: readonly string[] = [
  '24:00',
  '23:60',
  '99:99:99',
  '1:2',
  '12:00:60',
  '-1:00',
  '12:00:00.5',
  '00:00:00:00',
  '',
];
export const BAD_DATETIMES: readonly string[] = [
  '1970-01-01T00:00:00Z',
  '2000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '+275760-09-13T00:00:00Z',
  '2024-02-30T00:00:00Z',
  '2024-01-01T00:00:00',
  '2024-01-01',
  '2030-01-01T24:00:00Z',
  '2030-01-01T00:00:00+25:00',
  'now',
];
export const BAD_EMAILS: readonly string[] = [
  'a@',
  '@b',
  'a@b@c',
  'plainaddress',
  `${'a'.repeat(300)}@example.test`,
  `a@${'b'.repeat(300)}.test`,
  'ünïcode@exämple.test',
  '"quoted"@example.test',
  'a@example.test\u0000',
  ' spaced@example.test ',
  'UPPER@EXAMPLE.TEST',
];

/** Deeply nested JSON as raw text (built as text: JSON.stringify would recurse). */
export function deepNesting(rng: Prng): Raw {
  const depth = rng.pick([1_000, 10_000, 100_000]);
  if (rng.chance(0.5)) return new Raw('['.repeat(depth) + ']'.repeat(depth));
  return new Raw('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
}

/** Big arrays (JSON text stays under the 1 MB body limit unless `overLimit`). */
const bigArrays = new Map<string, Raw>();
export function bigArray(rng: Prng): Raw {
  const n = rng.pick([1_001, 10_000, 100_000, 250_000]);
  const element = rng.pick(['0', 'null', '"x"', '{}', '[]']);
  const key = `${n}:${element}`;
  // Built once per shape: the text is large and the fuzzer asks for the same few often.
  if (!bigArrays.has(key)) bigArrays.set(key, new Raw(`[${`${element},`.repeat(n - 1)}${element}]`));
  return bigArrays.get(key)!;
}

/** A value of some JSON type, for "wrong type" mutations. */
export function wrongTypeValue(rng: Prng): unknown {
  return rng.pick<unknown>([
    null,
    true,
    false,
    0,
    -1,
    3.14,
    'text',
    '',
    [],
    [1, 2, 3],
    ['a'],
    [null],
    {},
    { a: 1 },
    { type: 'object' },
    [[[]]],
    { $ne: null },
    { id: '00000000-0000-0000-0000-000000000000' },
  ]);
}

/** Serializes a value that may contain Raw fragments into JSON text. */
export function toJsonText(value: unknown): string {
  if (value instanceof Raw) return value.json;
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : toJsonText(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`);
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
