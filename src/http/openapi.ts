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
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    staticCSP: true,
    uiConfig: { deepLinking: true, persistAuthorization: true },
  });
  app.get('/api/schema/', { schema: { hide: true }, config: { rateLimit: false } }, async () =>
    app.swagger(),
  );
}
