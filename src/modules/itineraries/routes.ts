import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** itineraries: routes are added by the itineraries module. */
export const itineraryRoutes: FastifyPluginAsyncTypebox = async () => {};
