import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp } from '../../src/app.ts';
import type { Config } from '../../src/config/index.ts';
import { closeAtEnd, testDatabase } from './database.ts';
import { testConfig } from './env.ts';

export interface TestApp {
  app: FastifyInstance;
  config: Readonly<Config>;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  /** The raw log text, to search for leaked secrets. */
  logText: () => string;
}

/** Builds the real app on the shared test database; closed automatically at the end of the file. */
export async function buildTestApp(overrides: Record<string, string | undefined> = {}): Promise<TestApp> {
  const config = testConfig({ LOG_LEVEL: 'info', ...overrides });
  const chunks: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  // Each test that needs email runs its own sender; many apps polling one database would race for rows.
  const app = await buildApp(config, { database: await testDatabase(), logStream, emailSender: false });
  await app.ready();
  closeAtEnd(() => app.close());
  return {
    app,
    config,
    get logs() {
      return chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    logText: () => chunks.join(''),
  };
}

export interface Response<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: T;
  text: string;
}

/** app.inject with JSON in and out, and an optional bearer token. */
export async function call<T = any>(
  app: FastifyInstance,
  method: InjectOptions['method'],
  url: string,
  options: {
    token?: string;
    body?: unknown;
    headers?: Record<string, string>;
    payload?: string | Buffer;
  } = {},
): Promise<Response<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await app.inject({
    method,
    url,
    headers,
    ...(options.payload !== undefined
      ? { payload: options.payload }
      : options.body !== undefined
        ? { payload: options.body as object }
        : {}),
  });
  let body: unknown = undefined;
  try {
    body = response.body ? JSON.parse(response.body) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.statusCode, headers: response.headers, body: body as T, text: response.body };
}
