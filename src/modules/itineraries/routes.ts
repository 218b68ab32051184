import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { dayRoutes } from './day-routes.ts';
import { itemRoutes } from './item-routes.ts';

/** Itineraries (one per trip day) and their items. */
export const itineraryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(dayRoutes);
  await app.register(itemRoutes);
};
