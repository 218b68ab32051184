import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { call } from './app.ts';

export const GOOD_PASSWORD = 'Sturdy-Koala-Orbit-42';

/**
 * The mail domain of this test process (one per test file). On a shared PostgreSQL database the
 * outbox holds every file's mail; a file that runs a sender claims only its own domain, so it never
 * waits behind (or delivers) the hundreds of notices other files queue meanwhile.
 */
export const MAIL_DOMAIN = `p${process.pid}.example.test`;

/** A unique email per call, so tests never collide in the shared database. */
export const uniqueEmail = (prefix = 'user') => `${prefix}-${randomUUID().slice(0, 12)}@${MAIL_DOMAIN}`;

export interface TestUser {
  id: string;
  email: string;
  password: string;
  access: string;
  refresh: string;
  user: Record<string, any>;
}

/** Registers a fresh user through the API (the real path), returning its tokens. */
export async function createUser(
  app: FastifyInstance,
  overrides: {
    email?: string;
    password?: string;
    first_name?: string;
    last_name?: string;
    username?: string;
  } = {},
): Promise<TestUser> {
  const email = overrides.email ?? uniqueEmail();
  const password = overrides.password ?? GOOD_PASSWORD;
  const response = await call(app, 'POST', '/api/v1/auth/register/', {
    body: { ...overrides, email, password, password_confirm: password },
  });
  assert.equal(response.status, 201, `register failed: ${response.text}`);
  const body = response.body as { user: Record<string, any>; tokens: { access: string; refresh: string } };
  return {
    id: body.user.id,
    email,
    password,
    access: body.tokens.access,
    refresh: body.tokens.refresh,
    user: body.user,
  };
}
