import { Type, type Static, type TObject } from '@sinclair/typebox';
import type { ValidateFunction } from 'ajv';
import secureJsonParse from 'secure-json-parse';
import { PostMessageBody } from '../modules/chat/schemas.ts';
import { compileBodyValidator, detailsFromAjv } from '../http/validation.ts';
import type { ErrorDetails } from '../http/errors.ts';

const Uuid = Type.String({ format: 'uuid' });

/** Client → server frames; `chat_message` uses the REST body schema, so the rules cannot drift. */
const SCHEMAS = {
  chat_message: PostMessageBody,
  edit_message: Type.Object({ message_id: Uuid, content: Type.String() }),
  delete_message: Type.Object({ message_id: Uuid }),
  typing: Type.Object({ is_typing: Type.Boolean() }),
  ping: Type.Object({}),
  history: Type.Object({
    before: Type.Optional(Type.Union([Uuid, Type.Null()])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  }),
} satisfies Record<string, TObject>;

export type ClientFrameType = keyof typeof SCHEMAS;
export type ClientFrame = {
  [K in ClientFrameType]: { type: K; body: Static<(typeof SCHEMAS)[K]>; clientId?: string };
}[ClientFrameType];

export type ParseResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: string; message: string; details?: ErrorDetails; clientId?: string };

const validators = new Map<string, ValidateFunction>(
  Object.entries(SCHEMAS).map(([type, schema]) => [type, compileBodyValidator(schema)]),
);

/** Parses and validates one text frame; every failure is an error frame, never a closed socket. */
export function parseClientFrame(text: string): ParseResult {
  let value: unknown;
  try {
    // secure-json-parse refuses __proto__/constructor keys, as the HTTP body parser does.
    value = secureJsonParse.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    return { ok: false, code: 'invalid_json', message: 'Frame is not valid JSON.' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, code: 'invalid_frame', message: 'Frame must be a JSON object with a "type".' };
  const { type, ...body } = value as Record<string, unknown>;
  const clientId = typeof body.client_id === 'string' ? body.client_id : undefined;
  const validate = typeof type === 'string' ? validators.get(type) : undefined;
  if (!validate)
    return { ok: false, code: 'unknown_type', message: `Unknown frame type: ${String(type)}.`, clientId };
  if (!validate(body))
    return {
      ok: false,
      code: 'validation_error',
      message: 'Invalid input.',
      details: detailsFromAjv(validate.errors ?? []),
      clientId,
    };
  return { ok: true, frame: { type, body, clientId } as ClientFrame };
}
