/** Broken path segments, query strings, headers and content types. */
import type { Parameter } from './openapi.ts';
import type { Prng } from './prng.ts';
import { sampleValue } from './schema-values.ts';
import { BAD_DATES, BAD_UUIDS, NUMBERISH_STRINGS, ODD_UNICODE } from './values.ts';

/** Percent-encodes text, writing lone surrogates as their (invalid) CESU-8 bytes. */
export function encode(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      const bytes = [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)];
      out += bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(ch);
  }
  return out;
}

/** Which fixture a path parameter names, from the segment before it. */
export function fixtureForParam(path: string, name: string): string {
  const before = path.split(`{${name}}`)[0]!.split('/').filter(Boolean).at(-1) ?? '';
  if (before === 'invitations') return name === 'token' ? 'inviteToken' : 'invitation';
  const byCollection: Record<string, string> = {
    trips: 'trip',
    collaborators: 'user:editor',
    itineraries: 'day',
    items: 'item',
    'itinerary-items': 'item',
    polls: 'poll',
    rooms: 'room',
    messages: 'message',
  };
  return byCollection[before] ?? 'trip';
}

const WRONG_KIND = [
  'trip',
  'trip2',
  'day',
  'item',
  'poll',
  'option',
  'invitation',
  'message',
  'room',
  'user:owner',
  'user:stranger',
];

/** A broken value for a path parameter (already encoded for the URL). */
export function badPathValue(fixture: string, rng: Prng): { label: string; value: string } {
  const choice = rng.int(10);
  if (choice === 0) return { label: 'random-uuid', value: rng.uuid() };
  if (choice === 1) return { label: 'other-trip', value: '§trip2§' };
  if (choice === 2) return { label: 'wrong-kind', value: `§${rng.pick(WRONG_KIND)}§` };
  if (choice === 3) {
    const modifier = rng.pick(['upper', 'braces', 'extra', 'trunc', 'nodash', 'spaced']);
    return { label: `real-${modifier}`, value: `§${fixture}|${modifier}§` };
  }
  if (choice === 4) return { label: 'malformed-uuid', value: encode(rng.pick(BAD_UUIDS)) };
  if (choice === 5) return { label: 'unicode', value: encode(rng.pick(ODD_UNICODE)) || '%20' };
  if (choice === 6) return { label: 'long', value: 'a'.repeat(rng.pick([199, 200, 201, 300, 4000])) };
  if (choice === 7)
    return {
      label: 'bad-percent',
      value: rng.pick(['%', '%ZZ', '%E0%A4%A', '%C0%AF', '%00', '%FF%FE', '%2F', '..%2F..%2F']),
    };
  if (choice === 8)
    return { label: 'traversal', value: rng.pick(['..', '.', '%2e%2e', '...', '~', '*', '$', ';', ',']) };
  return { label: 'numberish', value: encode(rng.pick(NUMBERISH_STRINGS)) || '-1' };
}

const QUERY_PLACEHOLDERS: Record<string, string> = {
  before: '§message§',
  after: '§message§',
  option_id: '§option§',
  trip: '§trip§',
  trip_id: '§trip§',
};

/** A valid-looking value for a query parameter. */
export function queryValue(param: Parameter, rng: Prng, opKey: string): string {
  if (param.name in QUERY_PLACEHOLDERS) return QUERY_PLACEHOLDERS[param.name]!;
  return encode(String(sampleValue(param.schema, param.name, rng, opKey)));
}

/** A broken query string (without the `?`), aimed at the declared parameters when there are any. */
export function badQuery(params: Parameter[], rng: Prng, opKey: string): { label: string; query: string } {
  const name =
    params.length > 0 && rng.chance(0.85)
      ? rng.pick(params).name
      : rng.pick(['page', 'page_size', 'limit', 'x']);
  const good = () =>
    params.filter(() => rng.chance(0.4)).map((p) => `${p.name}=${queryValue(p, rng, opKey)}`);
  const pairs = good().filter((pair) => !pair.startsWith(`${name}=`));
  const variants: [string, () => string[]][] = [
    ['wrong-type', () => [`${name}=${rng.pick(['abc', 'true', '[]', '{}', 'null', '1,2'])}`]],
    ['negative', () => [`${name}=${rng.pick(['-1', '0', '-0', '-999999999'])}`]],
    ['page_size=-1', () => ['page_size=-1']],
    [
      'huge',
      () => [
        `${name}=${rng.pick(['99999999999999999999', '1e308', '1000001', '2147483648', '9007199254740993', '1' + '0'.repeat(400)])}`,
      ],
    ],
    ['huge-page', () => ['page=1000000', 'page_size=1000000']],
    [
      'nan',
      () => [`${name}=${rng.pick(['NaN', 'Infinity', '-Infinity', '1.5', '0x10', '1e3', '%20', '+1'])}`],
    ],
    ['repeated', () => [`${name}=1`, `${name}=2`, ...(rng.chance(0.5) ? [`${name}=abc`] : [])]],
    [
      'array-syntax',
      () => [rng.pick([`${name}[]=1`, `${name}[0]=1`, `${name}[a]=1`, `${name}.x=1`, `${name}%5B%5D=1`])],
    ],
    [
      'unknown',
      () => [
        rng.pick([
          'foo=bar',
          '__proto__=x',
          'constructor=1',
          'hasOwnProperty=1',
          'toString=1',
          'format=xml',
          'fields=password',
        ]),
      ],
    ],
    ['empty', () => [rng.pick([`${name}=`, name, '=', '', '&&&', `${name}==1`])]],
    [
      'bad-percent',
      () => [`${name}=${rng.pick(['%ZZ', '%E0%A4%A', '%', '%00', '%C0%AF', '%FF', '%uD800'])}`],
    ],
    ['unicode', () => [`${name}=${encode(rng.pick(ODD_UNICODE)) || '%20'}`]],
    ['long', () => [`${name}=${'a'.repeat(rng.pick([201, 1000, 8000]))}`]],
    ['bad-uuid', () => [`${name}=${rng.chance(0.5) ? '§trip2§' : encode(rng.pick(BAD_UUIDS))}`]],
    ['bad-date', () => [`${name}=${encode(rng.pick(BAD_DATES))}`]],
    [
      'bad-enum',
      () => [`${name}=${rng.pick(['password', '-', '--created_at', 'DRAFT', 'created_at;drop', 'id', '1'])}`],
    ],
    ['many-params', () => Array.from({ length: 1000 }, (_, i) => `p${i}=${i}`)],
  ];
  const [label, make] = rng.pick(variants);
  const all = [...pairs, ...make()];
  // Shuffle a little so the bad pair is not always last.
  if (all.length > 1 && rng.chance(0.3)) all.unshift(all.pop()!);
  return { label: `query:${label}`, query: all.join('&') };
}

/** A bad value for one request header. */
export function badHeader(rng: Prng): { label: string; name: string; value: string } {
  const headers: [string, string[]][] = [
    [
      'if-match',
      [
        '"0"',
        '"1"',
        '"999999999999"',
        'W/"1"',
        '*',
        '"abc"',
        'abc',
        '"1", "2"',
        '"-1"',
        '"1e3"',
        '""',
        `"${'9'.repeat(8000)}"`,
        'ÿ',
        '"NaN"',
        '"0x1"',
      ],
    ],
    [
      'idempotency-key',
      ['', ' ', 'x'.repeat(256), 'x'.repeat(8000), 'é', 'fuzz-shared-key', 'fuzz-shared-key'],
    ],
    [
      'authorization',
      [
        'Bearer',
        'Bearer ',
        'Bearer x',
        `Bearer ${'a'.repeat(8000)}`,
        'Basic dXNlcjpwYXNz',
        'Bearer a.b.c',
        'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
        'bearer §token:editor§',
        'Bearer §token:editor|extra§',
        'Bearer §refresh§',
        'Token §token:editor§',
        'Bearer §token:editor§ §token:owner§',
      ],
    ],
    ['accept', ['application/xml', 'text/html', '*/*;q=0', 'image/png', 'application/json;q=0']],
    ['accept-encoding', ['gzip', 'br', 'deflate', 'gzip;q=0, identity;q=0', 'zstd', '*']],
    ['x-request-id', ['x'.repeat(200), 'a b', '../..', 'fuzz-request-1', '%00']],
    ['x-forwarded-for', ['not-an-ip', '1.1.1.1, 2.2.2.2', '::1', '999.999.999.999', 'x'.repeat(5000)]],
    ['x-forwarded-proto', ['javascript', 'https', 'ftp']],
    ['origin', ['https://evil.test', 'null', '*']],
    ['host', ['evil.test', 'a'.repeat(300), 'localhost:99999', '[::1]']],
    ['cookie', ['a=b; a=c', '=;=;', 'x'.repeat(4000)]],
    ['content-language', ['xx', 'ÿ']],
  ];
  const [name, values] = rng.pick(headers);
  return { label: `header:${name}`, name, value: rng.pick(values) };
}
