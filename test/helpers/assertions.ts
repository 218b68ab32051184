import assert from 'node:assert/strict';

interface AnyResponse {
  status: number;
  body: any;
  text?: string;
  headers: Record<string, unknown>;
}

/** Asserts the one error envelope (status, code, type, message, details, request id) and returns `error`. */
export function assertEnvelope(response: AnyResponse, status: number, type?: string) {
  const text = response.text ?? JSON.stringify(response.body);
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${text}`);
  assert.equal(typeof response.body?.error, 'object', `error envelope missing: ${text}`);
  const { error } = response.body;
  assert.equal(error.code, status);
  assert.equal(typeof error.type, 'string');
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0);
  assert.equal(typeof error.details, 'object');
  assert.equal(error.request_id, response.headers['x-request-id']);
  if (type) assert.equal(error.type, type);
  return error;
}

/** Asserts a 400 validation error naming `field`, and returns that field's problems. */
export function assertFieldError(response: AnyResponse, field: string): string[] {
  const error = assertEnvelope(response, 400, 'validation_error');
  const problems = error.details[field];
  assert.ok(
    Array.isArray(problems) && problems.length > 0,
    `details.${field} missing: ${response.text ?? ''}`,
  );
  for (const problem of problems) assert.equal(typeof problem, 'string');
  return problems;
}
