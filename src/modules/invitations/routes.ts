import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tokenInvitationRoutes } from './token-routes.ts';
import { tripInvitationRoutes } from './trip-invitation-routes.ts';

/** Invitations: the trip side (invite, list, revoke) and the invitee side (mine, lookup, accept, decline). */
export const invitationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(tripInvitationRoutes);
  await app.register(tokenInvitationRoutes);
};
