import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { currentUser } from '../../http/authenticate.ts';
import { errorResponses } from '../../http/envelope.ts';
import { fieldError, notAuthenticated } from '../../http/errors.ts';
import { expectedVersion, setEtag } from '../../http/etag.ts';
import { sniffImage } from './image-sniff.ts';
import { mediaUrlFor } from './media-url.ts';
import { readMultipartForm } from './multipart-form.ts';
import { presentUser } from './presenter.ts';
import { findUserById } from './queries.ts';
import { UpdateMeBody, UpdateMeForm, User } from './schemas.ts';
import { updateMe } from './update-me.ts';

const tags = ['users'];
const security = [{ bearerAuth: [] }];

/** The caller's own account: read, update (JSON or multipart with an avatar image). */
export const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ctx } = app;

  app.get(
    '/users/me/',
    {
      schema: {
        tags,
        security,
        summary: 'The signed-in user',
        response: { 200: Type.Ref(User), ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      // A valid token for a deleted or deactivated account is no longer a session.
      const user = await findUserById(ctx.db, currentUser(request).id);
      if (!user?.isActive) throw notAuthenticated('User not found or inactive.');
      setEtag(reply, user.version);
      return presentUser(user, mediaUrlFor(request, ctx));
    },
  );

  const update = async (request: FastifyRequest, reply: FastifyReply) => {
    const userId = currentUser(request).id;
    const present = (row: Parameters<typeof presentUser>[0]) => presentUser(row, mediaUrlFor(request, ctx));
    let avatar = null;
    if (request.uploadedFile) {
      const image = sniffImage(request.uploadedFile.data);
      if (!image)
        throw fieldError('avatar', 'Upload a valid image. The file was not a PNG, JPEG, GIF or WebP image.');
      avatar = { data: request.uploadedFile.data, image };
    }
    const user = await updateMe(ctx, {
      userId,
      changes: (request.body ?? {}) as UpdateMeBody,
      avatar,
      expectedVersion: expectedVersion(request),
      present,
    });
    setEtag(reply, user.version);
    return present(user);
  };

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/users/me/',
      preValidation: readMultipartForm('avatar', ctx.config.media.maxAvatarBytes),
      schema: {
        tags,
        security,
        summary: method === 'PUT' ? 'Update the signed-in user' : 'Partly update the signed-in user',
        description:
          'Send JSON, or multipart/form-data with an `avatar` image file (PNG, JPEG, GIF, WebP; size-capped). ' +
          'Every field is optional. Honours If-Match with the ETag from GET.',
        headers: Type.Object({
          'if-match': Type.Optional(Type.String({ description: 'ETag from a previous GET' })),
        }),
        body: {
          content: {
            'application/json': { schema: UpdateMeBody },
            'multipart/form-data': { schema: UpdateMeForm },
          },
        },
        response: { 200: Type.Ref(User), ...errorResponses(400, 401, 412, 413, 415) },
      },
      handler: update,
    });
  }
};
