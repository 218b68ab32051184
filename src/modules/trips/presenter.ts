import type { Role, TripMemberRow, TripRow, UserRow } from '../../db/schema/index.ts';
import { presentUser } from '../users/presenter.ts';
import type { UserView } from '../users/schemas.ts';
import { allowedActions } from './policy.ts';
import type { TripGraph } from './queries.ts';

type MediaUrl = (key: string) => string;

/**
 * Each user presented once per response: a page of trips names the same people again and again
 * (every collaborator, their inviters, the creators), and presenting is most of a list's own CPU.
 */
function userViews(users: Map<string, UserRow>, mediaUrl: MediaUrl): (id: string) => UserView | null {
  const views = new Map<string, UserView>();
  return (id) => {
    let view = views.get(id);
    if (!view) {
      const user = users.get(id);
      if (!user) return null;
      views.set(id, (view = presentUser(user, mediaUrl)));
    }
    return view;
  };
}

export function presentCollaborator(
  member: TripMemberRow,
  users: Map<string, UserRow>,
  mediaUrl: MediaUrl,
  viewOf = userViews(users, mediaUrl),
) {
  const user = viewOf(member.userId);
  if (!user) throw new Error(`member ${member.id} has no user row`);
  return {
    id: member.id,
    user,
    role: member.role,
    joined_at: member.joinedAt.toISOString(),
    invited_by: member.invitedById,
    invited_by_user: member.invitedById ? viewOf(member.invitedById) : null,
    version: member.version,
  };
}

/** The trip object of the spec, with the caller's role and allowed actions. */
export function presentTrip(trip: TripRow, role: Role, graph: TripGraph, mediaUrl: MediaUrl) {
  const members = graph.members.get(trip.id) ?? [];
  graph.viewOf ??= userViews(graph.users, mediaUrl);
  const viewOf = graph.viewOf;
  return {
    id: trip.id,
    title: trip.title,
    description: trip.description,
    creator: trip.creatorId ? viewOf(trip.creatorId) : null,
    start_date: trip.startDate,
    end_date: trip.endDate,
    status: trip.status,
    visibility: trip.visibility,
    collaborators: members.map((m) => presentCollaborator(m, graph.users, mediaUrl, viewOf)),
    collaborator_count: members.length,
    user_role: role,
    permissions: allowedActions(role),
    version: trip.version,
    created_at: trip.createdAt.toISOString(),
    updated_at: trip.updatedAt.toISOString(),
  };
}
export type TripView = ReturnType<typeof presentTrip>;
