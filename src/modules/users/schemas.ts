import { Type, type Static } from '@sinclair/typebox';

export const Profile = Type.Object({
  first_name: Type.String(),
  last_name: Type.String(),
  bio: Type.String(),
  avatar: Type.Union([Type.String({ format: 'uri' }), Type.Null()], {
    description: 'Absolute URL of the avatar image',
  }),
});

export const User = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.String({ format: 'email' }),
    username: Type.String(),
    profile: Profile,
    full_name: Type.String(),
    date_joined: Type.String({ format: 'date-time' }),
    last_login: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    version: Type.Integer(),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'User', title: 'User' },
);
export type UserView = Static<typeof User>;

export const USERNAME_PATTERN = '^[\\w.@+-]+$';
export const Username = Type.String({
  minLength: 1,
  maxLength: 150,
  pattern: USERNAME_PATTERN,
  description: 'Letters, digits and @ . + - _ only',
});

/** Fields a user may change on themselves; PUT and PATCH both take any subset. */
export const UpdateMeBody = Type.Object({
  first_name: Type.Optional(Type.String({ maxLength: 150 })),
  last_name: Type.Optional(Type.String({ maxLength: 150 })),
  bio: Type.Optional(Type.String({ maxLength: 500 })),
  username: Type.Optional(Username),
  avatar: Type.Optional(
    Type.Null({ description: 'Send null to remove the avatar; upload one with multipart/form-data' }),
  ),
});
export type UpdateMeBody = Static<typeof UpdateMeBody>;

/** The same fields as a multipart form, where `avatar` is the image file. */
export const UpdateMeForm = Type.Object({
  first_name: Type.Optional(Type.String({ maxLength: 150 })),
  last_name: Type.Optional(Type.String({ maxLength: 150 })),
  bio: Type.Optional(Type.String({ maxLength: 500 })),
  username: Type.Optional(Username),
  avatar: Type.Optional(Type.String({ format: 'binary', description: 'PNG, JPEG, GIF or WebP image' })),
});
