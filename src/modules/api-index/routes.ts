import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { absoluteBase } from '../../http/pagination.ts';

/** GET /api/v1/: the API version and absolute URLs of the resources (public). */
export const apiIndexRoutes =
  (version: string): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/',
      {
        config: { public: true },
        schema: {
          tags: ['service'],
          summary: 'API index',
          response: {
            200: Type.Object({
              version: Type.String(),
              api_version: Type.String(),
              resources: Type.Record(Type.String(), Type.String({ format: 'uri' })),
              docs: Type.String({ format: 'uri' }),
              schema: Type.String({ format: 'uri' }),
            }),
          },
        },
      },
      async (request) => {
        const base = absoluteBase(request);
        const api = `${base}/api/v1/`;
        return {
          version,
          api_version: 'v1',
          resources: {
            register: `${api}auth/register/`,
            login: `${api}auth/login/`,
            refresh: `${api}auth/refresh/`,
            logout: `${api}auth/logout/`,
            password_change: `${api}auth/password/change/`,
            password_reset: `${api}auth/password/reset/`,
            password_reset_confirm: `${api}auth/password/reset/confirm/`,
            me: `${api}users/me/`,
            my_invitations: `${api}users/me/invitations/`,
            trips: `${api}trips/`,
            itineraries: `${api}itineraries/`,
            polls: `${api}polls/`,
            chat_rooms: `${api}chat/rooms/`,
            chat_messages: `${api}chat/messages/`,
            sync: `${api}sync/`,
          },
          docs: `${base}/api/docs/`,
          schema: `${base}/api/schema/`,
        };
      },
    );
  };
