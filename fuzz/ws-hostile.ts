/** The catalogue of hostile client frames for the trip socket. */
import type { Prng } from './prng.ts';
import {
  BAD_UUIDS,
  ODD_NUMBERS,
  ODD_UNICODE,
  Raw,
  hugeString,
  toJsonText,
  wrongTypeValue,
} from './values.ts';

export interface HostileFrame {
  label: string;
  data: string | Buffer;
  binary?: boolean;
}

/** One hostile frame (text unless `binary`). */
export function hostileFrame(rng: Prng): HostileFrame {
  const types = ['chat_message', 'edit_message', 'delete_message', 'typing', 'ping', 'history'];
  const fields: Record<string, string[]> = {
    chat_message: ['content', 'message_type', 'reply_to', 'client_id', 'id'],
    edit_message: ['message_id', 'content'],
    delete_message: ['message_id'],
    typing: ['is_typing'],
    ping: ['x'],
    history: ['before', 'limit'],
  };
  const odd = (): unknown =>
    rng.pick<unknown>([
      wrongTypeValue(rng),
      rng.pick(ODD_UNICODE),
      rng.pick(ODD_NUMBERS),
      rng.pick(BAD_UUIDS),
      '§message§',
      '§trip2§',
      rng.uuid(),
      'x'.repeat(10_001),
    ]);
  const choice = rng.int(12);
  if (choice === 0)
    return {
      label: 'invalid-json',
      data: rng.pick([
        'not json',
        '{',
        '{"type":',
        '',
        ' ',
        '{"type":"ping"',
        "{'type':'ping'}",
        '\u0000',
        '\uFEFF{"type":"ping"}',
      ]),
    };
  if (choice === 1)
    return {
      label: 'json-scalar',
      data: rng.pick(['null', '[]', '"ping"', '123', 'true', '[{"type":"ping"}]', '1e999']),
    };
  if (choice === 2)
    return {
      label: 'binary',
      data: rng.chance(0.5)
        ? Buffer.from('{"type":"ping"}')
        : Buffer.from(Array.from({ length: 1 + rng.int(2000) }, () => rng.int(256))),
      binary: true,
    };
  if (choice === 3)
    return { label: 'huge', data: JSON.stringify({ type: 'chat_message', content: hugeString(rng) }) };
  if (choice === 4)
    return {
      label: 'near-limit',
      data: JSON.stringify({ type: 'chat_message', content: 'a'.repeat(60_000) }),
    };
  if (choice === 5)
    return {
      label: 'unknown-type',
      data: toJsonText({
        type: rng.pick<unknown>([
          'nope',
          'CHAT_MESSAGE',
          '__proto__',
          'constructor',
          'toString',
          'hasOwnProperty',
          123,
          null,
          [],
          {},
          '',
          'trip_event',
          'pong',
          'error',
          'presence',
        ]),
      }),
    };
  if (choice === 6) return { label: 'no-type', data: '{"content":"hi"}' };
  if (choice === 7)
    return { label: 'proto', data: '{"type":"chat_message","content":"x","__proto__":{"admin":true}}' };
  if (choice === 8)
    return {
      label: 'deep',
      data: `{"type":"chat_message","content":${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
    };
  const type = rng.pick(types);
  const frame: Record<string, unknown> = { type };
  if (type === 'chat_message') frame.content = 'fuzz';
  if (type === 'edit_message') Object.assign(frame, { message_id: '§message§', content: 'edited' });
  if (type === 'delete_message') frame.message_id = rng.chance(0.5) ? rng.uuid() : '§message§';
  if (type === 'typing') frame.is_typing = true;
  for (let i = 0, n = 1 + rng.int(2); i < n; i++) frame[rng.pick(fields[type]!)] = odd();
  if (rng.chance(0.2)) frame.extra = new Raw('{"nested":[1,2,{"deep":true}]}');
  return { label: `fields:${type}`, data: toJsonText(frame) };
}
