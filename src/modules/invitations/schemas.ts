import { Type, type Static } from '@sinclair/typebox';
import { INVITATION_STATUSES, ROLES } from '../../db/schema/index.ts';
import { PageQuery } from '../../http/pagination.ts';
import { StringEnum } from '../../http/string-enum.ts';
import { Collaborator } from '../trips/schemas.ts';
import { User } from '../users/schemas.ts';

const Uuid = Type.String({ format: 'uuid' });
const Timestamp = Type.String({ format: 'date-time' });
const Status = StringEnum(INVITATION_STATUSES, {
  description: 'A pending invitation past its expiry is reported as expired',
});

export const InviteBody = Type.Object({
  email: Type.String({ format: 'email', maxLength: 254, description: 'Case-insensitive' }),
  role: Type.Optional(
    StringEnum(ROLES, {
      default: 'viewer',
      description: 'owner, editor or viewer (default viewer); only an owner may grant owner',
    }),
  ),
  message: Type.Optional(Type.String({ maxLength: 500, description: 'Included in the email' })),
});
export type InviteBody = Static<typeof InviteBody>;

export const Invitation = Type.Object(
  {
    id: Uuid,
    trip: Uuid,
    trip_title: Type.String(),
    email: Type.String(),
    role: StringEnum(ROLES),
    message: Type.String(),
    status: Status,
    invited_by: Type.Union([Uuid, Type.Null()]),
    invited_by_user: Type.Union([Type.Ref(User), Type.Null()]),
    expires_at: Timestamp,
    responded_at: Type.Union([Timestamp, Type.Null()]),
    version: Type.Integer(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'Invitation' },
);

export const InvitationSent = Type.Object({
  detail: Type.String(),
  email: Type.String(),
  invitation: Invitation,
});

/** What the public lookup by token reveals: enough to show "X invited you to Y", nothing more. */
export const InvitationLookup = Type.Object({
  id: Uuid,
  email: Type.String(),
  role: StringEnum(ROLES),
  message: Type.String(),
  status: Status,
  trip_title: Type.String(),
  invited_by_name: Type.String(),
  expires_at: Timestamp,
});

export const AcceptResult = Type.Object({
  detail: Type.String(),
  trip: Uuid,
  collaborator: Type.Ref(Collaborator),
});

export const InvitationParams = Type.Object({ id: Uuid, inv: Uuid });

export const TokenParams = Type.Object({
  token: Type.String({
    minLength: 16,
    maxLength: 128,
    pattern: '^[A-Za-z0-9_-]+$',
    description: "The emailed token; the invitation's id also works for the signed-in invitee",
  }),
});

export const TripInvitationsQuery = Type.Composite([
  PageQuery,
  Type.Object({ status: Type.Optional(Status) }),
]);
export type TripInvitationsQuery = Static<typeof TripInvitationsQuery>;
