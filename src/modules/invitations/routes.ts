import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** invitations: routes are added by the invitations module. */
export const invitationRoutes: FastifyPluginAsyncTypebox = async () => {};
