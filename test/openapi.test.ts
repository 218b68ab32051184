import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTestApp, call } from './helpers/app.ts';

const { app } = await buildTestApp();
const doc = (await call(app, 'GET', '/api/schema/')).body;

/** Every endpoint of the spec's Part A and Part B built so far, as `METHOD path`. */
const EXPECTED = [
  'POST /api/v1/auth/register/',
  'POST /api/v1/auth/login/',
  'POST /api/v1/auth/refresh/',
  'POST /api/v1/auth/logout/',
  'POST /api/v1/auth/password/change/',
  'POST /api/v1/auth/password/reset/',
  'POST /api/v1/auth/password/reset/confirm/',
  'GET /api/v1/users/me/',
  'PUT /api/v1/users/me/',
  'PATCH /api/v1/users/me/',
  'GET /api/v1/users/me/invitations/',
  'GET /api/v1/trips/',
  'POST /api/v1/trips/',
  'GET /api/v1/trips/{id}/',
  'PUT /api/v1/trips/{id}/',
  'PATCH /api/v1/trips/{id}/',
  'DELETE /api/v1/trips/{id}/',
  'GET /api/v1/trips/{id}/collaborators/',
  'POST /api/v1/trips/{id}/invite/',
  'POST /api/v1/trips/{id}/collaborators/{user_id}/',
  'PATCH /api/v1/trips/{id}/collaborators/{user_id}/',
  'DELETE /api/v1/trips/{id}/collaborators/{user_id}/',
  'GET /api/v1/trips/{id}/invitations/',
  'DELETE /api/v1/trips/{id}/invitations/{invitation_id}/',
  'GET /api/v1/invitations/{token}/',
  'POST /api/v1/invitations/{token}/accept/',
  'POST /api/v1/invitations/{token}/decline/',
  'GET /api/v1/itineraries/',
  'POST /api/v1/itineraries/',
  'GET /api/v1/itineraries/{id}/',
  'PUT /api/v1/itineraries/{id}/',
  'PATCH /api/v1/itineraries/{id}/',
  'DELETE /api/v1/itineraries/{id}/',
  'GET /api/v1/itineraries/{id}/items/',
  'POST /api/v1/itineraries/{id}/items/',
  'POST /api/v1/itineraries/{id}/items/reorder/',
  'GET /api/v1/itineraries/items/{item_id}/',
  'PUT /api/v1/itineraries/items/{item_id}/',
  'PATCH /api/v1/itineraries/items/{item_id}/',
  'DELETE /api/v1/itineraries/items/{item_id}/',
  'GET /api/v1/polls/',
  'POST /api/v1/polls/',
  'GET /api/v1/polls/{id}/',
  'PATCH /api/v1/polls/{id}/',
  'DELETE /api/v1/polls/{id}/',
  'POST /api/v1/polls/{id}/vote/',
  'DELETE /api/v1/polls/{id}/vote/',
  'GET /api/v1/polls/{id}/results/',
];

const operations = (): [string, any][] =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as [string, any]),
  );

/** Path templates differ only in parameter names between modules; compare their shapes. */
const shape = (key: string) => key.replace(/\{[^}]+\}/g, '{}');

describe('OpenAPI document', () => {
  it('documents every endpoint of the spec', () => {
    const documented = new Set(operations().map(([key]) => shape(key)));
    const missing = EXPECTED.filter((key) => !documented.has(shape(key)));
    assert.deepEqual(missing, []);
  });

  it('every API operation has a summary, a success response and documented errors in the envelope', () => {
    const problems: string[] = [];
    for (const [key, op] of operations()) {
      if (!key.includes('/api/v1/')) continue;
      if (!op.summary) problems.push(`${key}: no summary`);
      const codes = Object.keys(op.responses ?? {});
      if (!codes.some((c) => c.startsWith('2'))) problems.push(`${key}: no 2xx response`);
      const errors = codes.filter((c) => /^[45]/.test(c));
      if (errors.length === 0 && key !== 'GET /api/v1/') problems.push(`${key}: no error responses`);
      for (const code of errors) {
        const schema = op.responses[code]?.content?.['application/json']?.schema;
        if (schema?.$ref !== '#/components/schemas/ErrorEnvelope')
          problems.push(`${key} ${code}: not the error envelope`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('names the shared schemas, and the error envelope has the fields clients read', () => {
    const envelope = doc.components.schemas.ErrorEnvelope;
    assert.deepEqual(Object.keys(envelope.properties.error.properties).sort(), [
      'code',
      'details',
      'message',
      'request_id',
      'type',
    ]);
    for (const name of ['User', 'Trip', 'Collaborator']) assert.ok(doc.components.schemas[name], name);
  });

  it('documents enums as enums (trip status, roles)', () => {
    const text = JSON.stringify(doc);
    for (const value of [
      '"draft"',
      '"planned"',
      '"cancelled"',
      '"owner"',
      '"editor"',
      '"viewer"',
      '"-start_date"',
    ]) {
      assert.ok(text.includes(value), `${value} appears`);
    }
  });

  it('marks all-optional bodies as not required', () => {
    const withdraw = doc.paths['/api/v1/polls/{id}/vote/']?.delete;
    assert.ok(withdraw, 'DELETE vote documented');
    if (withdraw.requestBody) assert.equal(withdraw.requestBody.required, false);
  });
});
