import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** collaborators: routes are added by the collaborators module. */
export const collaboratorRoutes: FastifyPluginAsyncTypebox = async () => {};
