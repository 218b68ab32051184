import { Type, type Static } from '@sinclair/typebox';

const Password = Type.String({ minLength: 1, maxLength: 1024 });
const NewPassword = Type.String({
  minLength: 1,
  maxLength: 1024,
  description:
    'At least 8 characters, not entirely numeric, not a common password, not too similar to the email',
});

export const ChangePasswordBody = Type.Object({
  old_password: Type.String({ minLength: 1, maxLength: 1024, description: 'The current password' }),
  new_password: NewPassword,
  new_password_confirm: Password,
});
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;

export const PasswordChanged = Type.Object({
  detail: Type.String(),
  access: Type.String({ description: 'A fresh access JWT for this device' }),
  refresh: Type.String({
    description: 'A fresh refresh token for this device; every earlier refresh token is revoked',
  }),
});

export const ResetRequestBody = Type.Object({
  email: Type.String({ format: 'email', maxLength: 254, description: 'Case-insensitive' }),
});
export type ResetRequestBody = Static<typeof ResetRequestBody>;

export const ResetConfirmBody = Type.Object({
  token: Type.String({
    minLength: 1,
    maxLength: 256,
    description: 'The token from the reset email (the `token` parameter of its link)',
  }),
  new_password: NewPassword,
  new_password_confirm: Password,
});
export type ResetConfirmBody = Static<typeof ResetConfirmBody>;

export const Detail = Type.Object({ detail: Type.String() });
