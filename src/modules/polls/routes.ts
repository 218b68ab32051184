import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** polls: routes are added by the polls module. */
export const pollRoutes: FastifyPluginAsyncTypebox = async () => {};
