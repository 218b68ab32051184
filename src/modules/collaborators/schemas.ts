import { Type, type Static } from '@sinclair/typebox';
import { ROLES } from '../../db/schema/index.ts';
import { StringEnum } from '../../http/string-enum.ts';

/** A role in a request body: one of the three, anything else is a field error. */
export const RoleInput = StringEnum(ROLES, { description: 'owner, editor or viewer' });

export const MemberParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  user_id: Type.String({ format: 'uuid' }),
});

export const AddCollaboratorBody = Type.Object({
  role: Type.Optional(
    StringEnum(ROLES, {
      default: 'viewer',
      description: 'owner, editor or viewer (default viewer); only an owner may grant owner',
    }),
  ),
});
export type AddCollaboratorBody = Static<typeof AddCollaboratorBody>;

export const ChangeRoleBody = Type.Object({ role: RoleInput });
export type ChangeRoleBody = Static<typeof ChangeRoleBody>;
