import { Type, type Static } from '@sinclair/typebox';
import { User, Username } from '../users/schemas.ts';

const Email = Type.String({
  format: 'email',
  maxLength: 254,
  description: 'Case-insensitive; stored lower-cased',
});
const Password = Type.String({ minLength: 1, maxLength: 1024 });

export const RegisterBody = Type.Object({
  email: Email,
  password: Password,
  password_confirm: Password,
  username: Type.Optional(Username),
  first_name: Type.Optional(Type.String({ maxLength: 150 })),
  last_name: Type.Optional(Type.String({ maxLength: 150 })),
});
export type RegisterBody = Static<typeof RegisterBody>;

export const TokenPair = Type.Object({
  access: Type.String({ description: 'Access JWT for the Authorization: Bearer header' }),
  refresh: Type.String({ description: 'Opaque refresh token; each use returns a new one' }),
});

export const RegisterResponse = Type.Object({ user: Type.Ref(User), tokens: TokenPair });

export const LoginBody = Type.Object({
  email: Type.String({ minLength: 1, maxLength: 254 }),
  password: Password,
});
export type LoginBody = Static<typeof LoginBody>;
export const LoginResponse = Type.Object({
  access: Type.String(),
  refresh: Type.String(),
  user: Type.Ref(User),
});

export const RefreshBody = Type.Object({ refresh: Type.String({ minLength: 1, maxLength: 512 }) });
export type RefreshBody = Static<typeof RefreshBody>;

export const LogoutBody = Type.Object({
  refresh: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  refresh_token: Type.Optional(
    Type.String({ minLength: 1, maxLength: 512, description: 'Alias of refresh' }),
  ),
});
export type LogoutBody = Static<typeof LogoutBody>;

export const Detail = Type.Object({ detail: Type.String() });
