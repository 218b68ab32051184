/** Bodies sent under the wrong content type, and multipart forms from well-formed to garbage. */
import type { Prng } from './prng.ts';
import { ODD_UNICODE } from './values.ts';

const BOUNDARY = 'fuzzBoundary7MA4YWxk';

function part(name: string, value: string, file?: { filename: string; type: string }): string {
  const disposition = file
    ? `form-data; name="${name}"; filename="${file.filename}"\r\nContent-Type: ${file.type}`
    : `form-data; name="${name}"`;
  return `--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n\r\n${value}\r\n`;
}

/** A multipart body from `fields`, possibly with an avatar-like file part and other oddities. */
function multipart(fields: Record<string, unknown>, rng: Prng): { label: string; body: string | Buffer } {
  const parts = Object.entries(fields).map(([k, v]) =>
    part(k, typeof v === 'string' ? v : JSON.stringify(v)),
  );
  const variant = rng.int(9);
  let label = 'multipart:fields';
  if (variant === 0) {
    label = 'multipart:fake-image';
    parts.push(
      part(rng.pick(['avatar', 'file', 'title']), 'GIF89a not really', {
        filename: rng.pick(['a.gif', '../../x.png', 'a\u202Egnp.exe', '']),
        type: rng.pick(['image/gif', 'image/png', 'text/html', '']),
      }),
    );
  } else if (variant === 1) {
    label = 'multipart:many-parts';
    for (let i = 0; i < 2000; i++) parts.push(part(`f${i}`, String(i)));
  } else if (variant === 2) {
    label = 'multipart:huge-field';
    parts.push(part(rng.pick(['first_name', 'bio', 'title']), 'a'.repeat(200_000)));
  } else if (variant === 3) {
    label = 'multipart:duplicate-fields';
    parts.push(part('first_name', 'one'), part('first_name', 'two'));
  } else if (variant === 4) {
    label = 'multipart:unicode-names';
    parts.push(part(rng.pick(ODD_UNICODE).replace(/["\r\n]/g, '') || 'x', rng.pick(ODD_UNICODE)));
  } else if (variant === 5) {
    label = 'multipart:two-files';
    parts.push(
      part('avatar', 'x', { filename: 'a.png', type: 'image/png' }),
      part('avatar', 'y', { filename: 'b.png', type: 'image/png' }),
    );
  } else if (variant === 6) {
    label = 'multipart:big-file';
    const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="avatar"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`;
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    return {
      label: 'multipart:big-file',
      body: Buffer.concat([
        Buffer.from(head),
        png,
        Buffer.alloc(rng.pick([1000, 6_000_000]), 0x41),
        Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
      ]),
    };
  }
  return { label, body: `${parts.join('')}--${BOUNDARY}--\r\n` };
}

/** Garbage that claims to be multipart. */
function brokenMultipart(rng: Prng): { label: string; body: string | Buffer; type: string } {
  const type = `multipart/form-data; boundary=${BOUNDARY}`;
  const variants: [string, string, string][] = [
    ['no-boundary-param', 'multipart/form-data', `--${BOUNDARY}\r\n\r\nx\r\n--${BOUNDARY}--`],
    ['unterminated', type, `--${BOUNDARY}\r\nContent-Disposition: form-data; name="bio"\r\n\r\nabc`],
    ['no-name', type, `--${BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nabc\r\n--${BOUNDARY}--\r\n`],
    ['no-headers', type, `--${BOUNDARY}\r\n\r\n\r\n--${BOUNDARY}--\r\n`],
    ['json-inside', type, '{"title":"x"}'],
    ['empty', type, ''],
    [
      'wrong-boundary',
      'multipart/form-data; boundary=other',
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--${BOUNDARY}--\r\n`,
    ],
    ['huge-boundary', `multipart/form-data; boundary=${'b'.repeat(300)}`, 'x'],
    ['binary', type, String.fromCharCode(...Array.from({ length: 512 }, () => rng.int(256)))],
    [
      'header-injection',
      type,
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="a\r\nX-Injected: 1"\r\n\r\nb\r\n--${BOUNDARY}--\r\n`,
    ],
    ['mixed', `multipart/mixed; boundary=${BOUNDARY}`, `--${BOUNDARY}\r\n\r\nx\r\n--${BOUNDARY}--\r\n`],
  ];
  const [label, contentType, body] = rng.pick(variants);
  return { label: `multipart-garbage:${label}`, body, type: contentType };
}

function formEncoded(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(
      ([k, v]) =>
        `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`,
    )
    .join('&');
}

/** A body under a wrong or odd content type (`type: null` means send no Content-Type at all). */
export function wrongContentType(
  jsonText: string,
  fields: Record<string, unknown>,
  rng: Prng,
): { label: string; type: string | null; body: string | Buffer } {
  const choice = rng.int(10);
  if (choice === 0) {
    const m = multipart(fields, rng);
    return { label: m.label, type: `multipart/form-data; boundary=${BOUNDARY}`, body: m.body };
  }
  if (choice === 1) {
    const m = brokenMultipart(rng);
    return { label: m.label, type: m.type, body: m.body };
  }
  if (choice === 2)
    return {
      label: 'ctype:form-urlencoded',
      type: 'application/x-www-form-urlencoded',
      body: rng.chance(0.5) ? formEncoded(fields) : jsonText,
    };
  if (choice === 3) return { label: 'ctype:none', type: null, body: jsonText };
  const [label, type, body]: [string, string, string | Buffer] = rng.pick<[string, string, string | Buffer]>([
    ['text-plain', 'text/plain', jsonText],
    ['text-plain-utf8', 'text/plain; charset=utf-8', jsonText],
    ['json-utf16', 'application/json; charset=utf-16', Buffer.from(jsonText, 'utf16le')],
    ['json-latin1', 'application/json; charset=latin1', jsonText],
    ['json-params', 'application/json;;;charset=', jsonText],
    ['json-upper', 'APPLICATION/JSON', jsonText],
    ['vendor-json', 'application/vnd.api+json', jsonText],
    ['json-seq', 'application/json-seq', jsonText],
    ['xml', 'application/xml', '<trip><title>x</title></trip>'],
    ['octet-stream', 'application/octet-stream', Buffer.from([0, 1, 2, 3, 255])],
    ['image', 'image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47])],
    ['empty-type', '', jsonText],
    ['semicolon', ';', jsonText],
    ['html', 'text/html; charset=utf-8', '<b>x</b>'],
    ['star', '*/*', jsonText],
    ['long-type', `application/${'x'.repeat(2000)}`, jsonText],
    ['ndjson', 'application/x-ndjson', `${jsonText}\n${jsonText}`],
  ]);
  return { label: `ctype:${label}`, type, body };
}
