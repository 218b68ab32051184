import type { UserRow } from '../../db/schema/index.ts';
import type { UserView } from './schemas.ts';

/** The public shape of a user; `mediaUrl` turns a stored key into an absolute URL. */
export function presentUser(user: UserRow, mediaUrl: (key: string) => string): UserView {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    profile: {
      first_name: user.firstName,
      last_name: user.lastName,
      bio: user.bio,
      avatar: user.avatarKey ? mediaUrl(user.avatarKey) : null,
    },
    full_name: `${user.firstName} ${user.lastName}`.trim(),
    date_joined: user.dateJoined.toISOString(),
    last_login: user.lastLogin ? user.lastLogin.toISOString() : null,
    version: user.version,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}
