import type { Role, TripMemberRow, TripRow, UserRow } from '../../db/schema/index.ts';
import { presentUser } from '../users/presenter.ts';
import { allowedActions } from './policy.ts';
import type { TripGraph } from './queries.ts';

type MediaUrl = (key: string) => string;

export function presentCollaborator(member: TripMemberRow, users: Map<string, UserRow>, mediaUrl: MediaUrl) {
  const user = users.get(member.userId);
  if (!user) throw new Error(`member ${member.id} has no user row`);
  const inviter = member.invitedById ? users.get(member.invitedById) : undefined;
  return {
    id: member.id,
    user: presentUser(user, mediaUrl),
    role: member.role,
    joined_at: member.joinedAt.toISOString(),
    invited_by: member.invitedById,
    invited_by_user: inviter ? presentUser(inviter, mediaUrl) : null,
    version: member.version,
  };
}

/** The trip object of the spec, with the caller's role and allowed actions. */
export function presentTrip(trip: TripRow, role: Role, graph: TripGraph, mediaUrl: MediaUrl) {
  const members = graph.members.get(trip.id) ?? [];
  const creator = trip.creatorId ? graph.users.get(trip.creatorId) : undefined;
  return {
    id: trip.id,
    title: trip.title,
    description: trip.description,
    creator: creator ? presentUser(creator, mediaUrl) : null,
    start_date: trip.startDate,
    end_date: trip.endDate,
    status: trip.status,
    visibility: trip.visibility,
    collaborators: members.map((m) => presentCollaborator(m, graph.users, mediaUrl)),
    collaborator_count: members.length,
    user_role: role,
    permissions: allowedActions(role),
    version: trip.version,
    created_at: trip.createdAt.toISOString(),
    updated_at: trip.updatedAt.toISOString(),
  };
}
export type TripView = ReturnType<typeof presentTrip>;
