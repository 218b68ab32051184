import { ROLES, type Role } from '../../db/schema/index.ts';

/**
 * What a trip member may do, by role. Deny by default: an action not listed for a role is refused,
 * and a non-member (role null) may do nothing — the routes answer 404 for them, never 403.
 * The WebSocket layer asks the same questions.
 */
export type TripAction =
  | 'trip.read'
  | 'trip.update'
  | 'trip.delete'
  | 'member.list'
  | 'member.invite'
  | 'member.add'
  | 'member.remove'
  | 'member.change_role'
  | 'invitation.list'
  | 'invitation.revoke'
  | 'itinerary.read'
  | 'itinerary.write'
  | 'poll.read'
  | 'poll.create'
  | 'poll.vote'
  | 'chat.read'
  | 'chat.post'
  /** Delete other members' chat messages. */
  | 'chat.moderate';

const READ: TripAction[] = [
  'trip.read',
  'member.list',
  'itinerary.read',
  'poll.read',
  'poll.vote',
  'chat.read',
  'chat.post',
];
const EDIT: TripAction[] = [
  ...READ,
  'trip.update',
  'member.invite',
  'member.add',
  'invitation.list',
  'invitation.revoke',
  'itinerary.write',
  'poll.create',
];
const OWN: TripAction[] = [...EDIT, 'trip.delete', 'member.remove', 'member.change_role', 'chat.moderate'];

const ALLOWED: Record<Role, ReadonlySet<TripAction>> = {
  viewer: new Set(READ),
  editor: new Set(EDIT),
  owner: new Set(OWN),
};

export function can(role: Role | null, action: TripAction): boolean {
  return role !== null && ALLOWED[role].has(action);
}

/** The roles that may do `action`: for a statement that authorizes in SQL, from this one table. */
export function rolesThatCan(action: TripAction): Role[] {
  return ROLES.filter((role) => ALLOWED[role].has(action));
}

/** Only an owner may hand out the owner role. */
export function canGrantRole(granter: Role | null, role: Role): boolean {
  if (role === 'owner') return granter === 'owner';
  return granter === 'owner' || granter === 'editor';
}

/** The actions a caller may take, sent with a trip so clients never copy these rules. */
export function allowedActions(role: Role | null): TripAction[] {
  return role ? [...ALLOWED[role]] : [];
}
