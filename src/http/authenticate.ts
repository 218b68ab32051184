import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthUser } from '../context.ts';
import type { AccessTokens } from '../modules/auth/access-tokens.ts';
import { invalidToken, notAuthenticated } from './errors.ts';

/** The bearer token of a request, from the Authorization header. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/** Verifies a token to the caller, or throws the 401 the client should see. */
export async function authenticateToken(tokens: AccessTokens, token: string | null): Promise<AuthUser> {
  if (!token) throw notAuthenticated();
  const verified = await tokens.verify(token);
  if (!verified) throw invalidToken();
  return { id: verified.userId };
}

/**
 * Authentication is the default for everything under /api/v1/: a route opts out only by
 * declaring `config: { public: true }`, so a new route cannot be left open by forgetting.
 * Public routes still learn who the caller is when a valid token is sent (for rate-limit keys).
 */
export function installAuthentication(app: FastifyInstance, tokens: AccessTokens): void {
  app.decorateRequest('user', null);
  app.addHook('onRequest', async (request) => {
    const url = request.routeOptions.url;
    if (!url || !url.startsWith('/api/v1')) return;
    const token = bearerToken(request);
    if (request.routeOptions.config.public) {
      if (token) request.user = await tokens.verify(token).then((v) => (v ? { id: v.userId } : null));
      return;
    }
    request.user = await authenticateToken(tokens, token);
  });
}

/** The caller of an authenticated route; the hook above guarantees it is set. */
export function currentUser(request: FastifyRequest): AuthUser {
  if (!request.user) throw notAuthenticated();
  return request.user;
}
