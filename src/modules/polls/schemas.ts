import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../../http/pagination.ts';
import { User } from '../users/schemas.ts';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });

export const MIN_OPTIONS = 2;
export const MAX_OPTIONS = 20;
export const MAX_OPTION_LENGTH = 200;
export const MAX_QUESTION_LENGTH = 500;

const TOTAL_VOTES =
  'Number of votes cast (the sum of the options’ vote_count). In a single-choice poll this equals ' +
  'the number of voters; in a multiple-choice poll one voter may count several times.';

export const PollOption = Type.Object({
  id: Uuid,
  text: Type.String(),
  order: Type.Integer({ description: 'Position in the poll, from 0, as the options were sent' }),
  vote_count: Type.Integer(),
  user_voted: Type.Boolean({ description: 'Whether the caller voted for this option' }),
});

export const Poll = Type.Object(
  {
    id: Uuid,
    trip: Uuid,
    created_by: Type.Union([Type.Ref(User), Type.Null()]),
    question: Type.String(),
    description: Type.String(),
    is_active: Type.Boolean({ description: 'False once closed by its creator or a trip owner' }),
    is_open: Type.Boolean({ description: 'Active and not past closes_at: the poll takes votes' }),
    closes_at: Type.Union([DateTime, Type.Null()]),
    allow_multiple: Type.Boolean(),
    options: Type.Array(PollOption),
    total_votes: Type.Integer({ description: TOTAL_VOTES }),
    user_has_voted: Type.Boolean(),
    version: Type.Integer({ description: 'Also bumped by every vote and withdrawal (the counts changed)' }),
    created_at: DateTime,
    updated_at: DateTime,
  },
  { title: 'Poll' },
);
export type PollView = Static<typeof Poll>;

export const PollResults = Type.Object(
  {
    poll_id: Uuid,
    question: Type.String(),
    total_votes: Type.Integer({ description: TOTAL_VOTES }),
    options: Type.Array(PollOption),
  },
  { title: 'PollResults' },
);
export type PollResultsView = Static<typeof PollResults>;

const closesAt = Type.Union([DateTime, Type.Null()], {
  description: 'ISO datetime with a time zone, in the future; null for no deadline',
});

export const CreatePollBody = Type.Object({
  id: Type.Optional(
    Type.String({
      format: 'uuid',
      description: 'Client-generated id (offline creates); a retry returns the original',
    }),
  ),
  trip: Uuid,
  question: Type.String({ minLength: 1, maxLength: MAX_QUESTION_LENGTH }),
  description: Type.Optional(Type.String({ maxLength: 10_000 })),
  is_active: Type.Optional(Type.Boolean({ default: true })),
  closes_at: Type.Optional(closesAt),
  allow_multiple: Type.Optional(Type.Boolean({ default: false })),
  // Item length is checked after trimming (in poll-input.ts), so no maxLength here.
  options: Type.Array(Type.String({ description: `1–${MAX_OPTION_LENGTH} characters after trimming` }), {
    minItems: MIN_OPTIONS,
    maxItems: MAX_OPTIONS,
    description: 'Unique ignoring case and surrounding spaces',
  }),
});
export type CreatePollBody = Static<typeof CreatePollBody>;

/** Options and allow_multiple are fixed once votes may exist; everything else can change. */
export const PatchPollBody = Type.Object({
  question: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_QUESTION_LENGTH })),
  description: Type.Optional(Type.String({ maxLength: 10_000 })),
  is_active: Type.Optional(Type.Boolean({ description: 'false closes the poll, true reopens it' })),
  closes_at: Type.Optional(closesAt),
});
export type PatchPollBody = Static<typeof PatchPollBody>;

export const PollListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    trip_id: Type.Optional(Type.String({ format: 'uuid', description: 'Required (or its alias trip)' })),
    trip: Type.Optional(Type.String({ format: 'uuid', description: 'Alias of trip_id' })),
    is_active: Type.Optional(Type.Boolean()),
  }),
]);
export type PollListQuery = Static<typeof PollListQuery>;

export const VoteBody = Type.Object({ option_id: Uuid });
export type VoteBody = Static<typeof VoteBody>;

const optionalOptionId = Type.Optional(Type.String({ format: 'uuid' }));
export const UnvoteQuery = Type.Object({ option_id: optionalOptionId });
export const UnvoteBody = Type.Object({ option_id: optionalOptionId });

export const PollParams = Type.Object({ id: Uuid });
