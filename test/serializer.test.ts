import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { buildSerializer, nullableForSerializer } from '../src/http/serializer.ts';

const User = Type.Object(
  { id: Type.String(), joined: Type.String({ format: 'date-time' }) },
  { $id: 'User' },
);
const Body = Type.Object({
  creator: Type.Union([Type.Ref(User), Type.Null()]),
  start: Type.Union([Type.String({ format: 'date' }), Type.Null()], { description: 'kept' }),
  members: Type.Array(Type.Object({ inviter: Type.Union([Type.Null(), Type.Ref(User)]) })),
});

describe('response serializer', () => {
  it('turns `X | null` into a nullable X for serialization only, leaving other unions and the original alone', () => {
    const rewritten = nullableForSerializer(Body) as {
      properties: Record<string, Record<string, unknown>>;
    };
    assert.deepEqual(rewritten.properties.creator, { $ref: 'User', nullable: true });
    assert.deepEqual(rewritten.properties.start, {
      type: 'string',
      format: 'date',
      description: 'kept',
      nullable: true,
    });
    const Mixed = Type.Object({ either: Type.Union([Type.String(), Type.Integer()]) });
    assert.ok(
      Array.isArray((nullableForSerializer(Mixed) as typeof rewritten).properties.either!.anyOf),
      'a union of two non-null types is kept',
    );
    const Status = Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy')]);
    assert.deepEqual(nullableForSerializer(Status), { type: 'string', enum: ['healthy', 'unhealthy'] });
    assert.ok(Array.isArray((Body.properties.creator as { anyOf?: unknown }).anyOf), 'original untouched');
  });

  it('serializes null and non-null values of such fields exactly as JSON.stringify would', () => {
    const serialize = buildSerializer({ User }, {})({ schema: Body });
    const user = { id: 'u1', joined: '2026-11-26T10:00:00.000Z' };
    for (const value of [
      { creator: null, start: null, members: [{ inviter: null }, { inviter: user }] },
      { creator: user, start: '2026-11-26', members: [] },
    ])
      assert.deepEqual(JSON.parse(serialize(value)), value);
    // Properties outside the schema are still left out, through the nullable $ref too.
    assert.deepEqual(JSON.parse(serialize({ creator: { ...user, secret: 'x' }, start: null, members: [] })), {
      creator: user,
      start: null,
      members: [],
    });
  });

  it('keeps the original schemas for a route that still needs the validator, and still serializes right', () => {
    const Mixed = Type.Object({ either: Type.Union([Type.String(), Type.Integer()]), body: Body });
    const serialize = buildSerializer({ User }, {})({ schema: Mixed });
    const value = {
      either: 2,
      body: {
        creator: null,
        start: null,
        members: [{ inviter: { id: 'u', joined: '2026-11-26T10:00:00.000Z' } }],
      },
    };
    assert.deepEqual(JSON.parse(serialize(value)), value);
  });
});
