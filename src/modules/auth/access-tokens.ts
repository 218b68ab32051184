import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';

const ISSUER = 'smart-trip-planner';
const AUDIENCE = 'smart-trip-planner:api';
// Pinned: a token naming any other algorithm (including "none") is refused before any check.
const ALGORITHMS = ['HS256'];

export interface AccessTokens {
  sign(userId: string): Promise<string>;
  /** The user id of a valid access token, or null for any invalid, expired or forged token. */
  verify(token: string): Promise<{ userId: string } | null>;
}

/** Stateless access JWTs (HS256 over SECRET_KEY), short-lived by design. */
export function createAccessTokens(secret: string, ttlSec: number): AccessTokens {
  const key = new TextEncoder().encode(secret);
  return {
    sign: (userId) =>
      new SignJWT({ token_type: 'access' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setJti(randomUUID())
        .setExpirationTime(`${ttlSec}s`)
        .sign(key),
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ALGORITHMS,
          issuer: ISSUER,
          audience: AUDIENCE,
        });
        if (payload.token_type !== 'access' || typeof payload.sub !== 'string') return null;
        return { userId: payload.sub };
      } catch (error) {
        if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return null;
        throw error;
      }
    },
  };
}
