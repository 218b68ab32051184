import { and, eq } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import type { AppContext } from '../context.ts';
import { tripMembers, users, type Role } from '../db/schema/index.ts';
import { bearerToken } from '../http/authenticate.ts';
import { can } from '../modules/trips/policy.ts';
import { CLOSE } from './close-codes.ts';

export interface Admitted {
  ok: true;
  user: { id: string; email: string };
  memberId: string;
  role: Role;
  /** When the access token expires (ms since epoch); the socket closes with 4001 then. */
  expiresAt: number | null;
}
export type Refused = { ok: false; code: number; reason: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A browser's Origin must be allowed for CORS or be this server's own; native clients send none. */
export function originAllowed(request: FastifyRequest, allowed: readonly string[]): boolean {
  const origin = request.headers.origin?.toLowerCase();
  if (!origin) return true;
  if (allowed.includes('*') || allowed.some((a) => a.toLowerCase() === origin)) return true;
  return origin === `${request.protocol}://${request.host}`.toLowerCase();
}

const firstString = (value: unknown): string | undefined =>
  typeof value === 'string'
    ? value
    : Array.isArray(value) && typeof value[0] === 'string'
      ? value[0]
      : undefined;

/** A query parameter of the upgrade request (the socket API has no body). */
export function queryParam(request: FastifyRequest, name: string): string | undefined {
  return firstString((request.query as Record<string, unknown> | undefined)?.[name]);
}

/**
 * Decides whether an upgraded socket may stay: token (`?token=` or the Authorization header),
 * Origin, then membership through the same policy as REST (`chat.read`).
 */
export async function admit(
  ctx: AppContext,
  request: FastifyRequest,
  tripId: string,
): Promise<Admitted | Refused> {
  if (!originAllowed(request, ctx.config.corsAllowedOrigins))
    return { ok: false, code: CLOSE.forbidden, reason: 'origin not allowed' };
  const token = queryParam(request, 'token') ?? bearerToken(request);
  if (!token) return { ok: false, code: CLOSE.unauthorized, reason: 'authentication required' };
  const verified = ctx.accessTokens.verify(token);
  if (!verified) return { ok: false, code: CLOSE.unauthorized, reason: 'invalid or expired token' };
  const exp = decodeJwt(token).exp;
  if (!UUID.test(tripId)) return { ok: false, code: CLOSE.forbidden, reason: 'trip not found' };
  const [row] = await ctx.db
    .select({ memberId: tripMembers.id, role: tripMembers.role, email: users.email, active: users.isActive })
    .from(tripMembers)
    .innerJoin(users, eq(users.id, tripMembers.userId))
    .where(and(eq(tripMembers.tripId, tripId), eq(tripMembers.userId, verified.userId)))
    .limit(1);
  if (row && !row.active) return { ok: false, code: CLOSE.unauthorized, reason: 'account inactive' };
  // Non-members and unknown trips look the same, as in REST (404 there).
  if (!row || !can(row.role, 'chat.read'))
    return { ok: false, code: CLOSE.forbidden, reason: 'trip not found' };
  return {
    ok: true,
    user: { id: verified.userId, email: row.email },
    memberId: row.memberId,
    role: row.role,
    expiresAt: typeof exp === 'number' ? exp * 1000 : null,
  };
}
