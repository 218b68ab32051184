import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** OpenAPI 3.1 generated from the route schemas, at /api/schema/, with interactive docs at /api/docs/. */
export async function installOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Smart Trip Planner API',
        version,
        description:
          'Every error uses one envelope: `{"error": {"code", "type", "message", "details", "request_id"}}`. ' +
          'Authenticate with `Authorization: Bearer <access token>` from /api/v1/auth/login/.',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      security: [],
    },
    // Routes are registered with trailing slashes; the un-slashed twins are not listed twice.
    hideUntagged: false,
    // Name shared schemas after their $id (ErrorEnvelope, User, Trip…) instead of def-0, def-1.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    // @fastify/swagger marks every request body required; a body whose fields are all optional
    // (DELETE …/vote/ with option_id in the query instead, PATCH) is not.
    transformObject: (documentObject) => {
      if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
      const { openapiObject } = documentObject;
      for (const item of Object.values(openapiObject.paths ?? {})) {
        for (const operation of Object.values(item ?? {}) as {
          requestBody?: {
            required?: boolean;
            content?: Record<string, { schema?: { required?: unknown[] } }>;
          };
        }[]) {
          const body = operation?.requestBody;
          if (!body?.content) continue;
          const anyRequired = Object.values(body.content).some(
            (media) => (media.schema?.required?.length ?? 0) > 0,
          );
          if (!anyRequired) body.required = false;
        }
      }
      return openapiObject;
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    // The CSP comes from http/security-headers.ts (DOCS_CSP); no validator badge from a third party.
    uiConfig: { deepLinking: true, persistAuthorization: true, validatorUrl: null },
  });
  app.get('/api/schema/', { schema: { hide: true }, config: { rateLimit: false } }, async () =>
    app.swagger(),
  );
}
