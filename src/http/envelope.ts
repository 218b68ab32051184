import { Type, type Static } from '@sinclair/typebox';

/** The one error shape of the API; `code`, `message` and `details` are what existing clients read. */
export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      code: Type.Integer({ description: 'HTTP status code' }),
      type: Type.String({ description: 'Stable machine-readable error code, e.g. validation_error' }),
      message: Type.String({ description: 'Human-readable explanation' }),
      details: Type.Record(Type.String(), Type.Unknown(), {
        description: 'Field name → list of problems for validation errors; extra context otherwise',
      }),
      request_id: Type.String({ description: 'Quote this id to find the request in the logs' }),
    }),
  },
  { $id: 'ErrorEnvelope', title: 'Error' },
);
export type ErrorEnvelopeBody = Static<typeof ErrorEnvelope>;

export function envelope(
  statusCode: number,
  type: string,
  message: string,
  details: Record<string, unknown>,
  requestId: string,
): ErrorEnvelopeBody {
  return { error: { code: statusCode, type, message, details, request_id: requestId } };
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (field errors in details) or malformed request',
  401: 'Missing, invalid or expired credentials',
  403: 'Authenticated but not allowed',
  404: 'Not found (also for objects in trips the caller is not a member of)',
  409: 'Conflict with the current state',
  412: 'If-Match did not match the current version (current object in details.current)',
  413: 'Request body or upload too large',
  415: 'Unsupported content type',
  429: 'Rate limited; see Retry-After',
};

/** Response schemas for the listed error statuses, for a route's OpenAPI entry. */
export function errorResponses(...codes: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const code of codes)
    out[code] = { ...Type.Ref(ErrorEnvelope), description: ERROR_DESCRIPTIONS[code] ?? 'Error' };
  return out;
}
