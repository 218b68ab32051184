import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthUser } from '../context.ts';
import type { AccessTokens } from '../modules/auth/access-tokens.ts';
import type { EdgeStep } from './edge.ts';
import { invalidToken, notAuthenticated } from './errors.ts';

/** The bearer token of a request, from the Authorization header. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/** Verifies a token to the caller, or throws the 401 the client should see. */
export function authenticateToken(tokens: AccessTokens, token: string | null): AuthUser {
  if (!token) throw notAuthenticated();
  const verified = tokens.verify(token);
  if (!verified) throw invalidToken();
  return { id: verified.userId };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when a token was sent but did not verify; the 401 is raised after rate limiting. */
    authFailed: boolean;
  }
}

/**
 * Authentication is the default for everything under /api/v1/: a route opts out only by
 * declaring `config: { public: true }`, so a new route cannot be left open by forgetting.
 * Two steps: the edge (`identifyCaller`, last of its steps) identifies the caller, so the rate
 * limiter can key on the user, and `preParsing` — after the limiter — refuses a protected route
 * without a valid token. Guessing tokens is therefore rate limited like any other request.
 */
export function identifyCaller(tokens: AccessTokens): EdgeStep {
  return (request, _reply, route) => {
    const token = route.api ? bearerToken(request) : null;
    if (token) {
      const verified = tokens.verify(token);
      if (verified) request.user = { id: verified.userId };
      else request.authFailed = true;
    }
    return undefined;
  };
}

export function installAuthentication(app: FastifyInstance): void {
  app.decorateRequest('user', null);
  app.decorateRequest('authFailed', false);
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const route = request.routeFacts;
    if (!route?.api || route.public || request.user) return done(null, payload);
    done(request.authFailed ? invalidToken() : notAuthenticated());
  });
}

/** The caller of an authenticated route; the hooks above guarantee it is set. */
export function currentUser(request: FastifyRequest): AuthUser {
  if (!request.user) throw notAuthenticated();
  return request.user;
}
