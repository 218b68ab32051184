import { Type, type Static } from '@sinclair/typebox';
import { DATE_INPUT } from '../../http/dates.ts';
import { PageQuery } from '../../http/pagination.ts';
import { StringEnum } from '../../http/string-enum.ts';
import { ROLES, TRIP_STATUSES, TRIP_VISIBILITIES } from '../../db/schema/index.ts';
import { User } from '../users/schemas.ts';

export const Uuid = Type.String({ format: 'uuid' });
export const RoleSchema = StringEnum(ROLES, { description: 'owner, editor or viewer' });
const Status = StringEnum(TRIP_STATUSES);
const Visibility = StringEnum(TRIP_VISIBILITIES);
const NullableDate = Type.Union([Type.Unsafe<string>(DATE_INPUT), Type.Null()]);

export const Collaborator = Type.Object(
  {
    id: Uuid,
    user: Type.Ref(User),
    role: RoleSchema,
    joined_at: Type.String({ format: 'date-time' }),
    invited_by: Type.Union([Uuid, Type.Null()], { description: 'Id of the user who added this member' }),
    invited_by_user: Type.Union([Type.Ref(User), Type.Null()]),
    version: Type.Integer(),
  },
  { $id: 'Collaborator', title: 'Collaborator' },
);

export const Trip = Type.Object(
  {
    id: Uuid,
    title: Type.String(),
    description: Type.String(),
    creator: Type.Union([Type.Ref(User), Type.Null()]),
    start_date: Type.Union([Type.String({ format: 'date' }), Type.Null()]),
    end_date: Type.Union([Type.String({ format: 'date' }), Type.Null()]),
    status: Status,
    visibility: Visibility,
    collaborators: Type.Array(Type.Ref(Collaborator)),
    collaborator_count: Type.Integer(),
    user_role: RoleSchema,
    permissions: Type.Array(Type.String(), { description: 'Actions the caller may take on this trip' }),
    version: Type.Integer(),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Trip', title: 'Trip' },
);

const tripFields = {
  title: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ maxLength: 10_000 }),
  start_date: NullableDate,
  end_date: NullableDate,
  status: Status,
  visibility: Visibility,
};

export const CreateTripBody = Type.Object({
  id: Type.Optional(
    Type.String({
      format: 'uuid',
      description: 'Client-generated id (offline creates); a retry returns the original',
    }),
  ),
  title: tripFields.title,
  description: Type.Optional(tripFields.description),
  start_date: Type.Optional(tripFields.start_date),
  end_date: Type.Optional(tripFields.end_date),
  status: Type.Optional(tripFields.status),
  visibility: Type.Optional(tripFields.visibility),
});
export type CreateTripBody = Static<typeof CreateTripBody>;

export const PatchTripBody = Type.Partial(Type.Object(tripFields));
export const PutTripBody = Type.Composite([
  Type.Object({ title: tripFields.title }),
  Type.Partial(Type.Object({ ...tripFields, title: tripFields.title })),
]);
export type PatchTripBody = Static<typeof PatchTripBody>;

export const TRIP_ORDERINGS = ['created_at', 'start_date', 'title', 'updated_at'] as const;
export const TripListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    status: Type.Optional(Status),
    search: Type.Optional(Type.String({ maxLength: 200, description: 'Matches title or description' })),
    ordering: Type.Optional(
      StringEnum(
        TRIP_ORDERINGS.flatMap((o) => [o, `-${o}`]),
        { description: 'Default -created_at' },
      ),
    ),
  }),
]);
export type TripListQuery = Static<typeof TripListQuery>;

export const TripParams = Type.Object({ id: Uuid });
