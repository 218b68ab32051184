/**
 * The floors `npm run bench` compares the service with: bare Fastify (no plugins, no logging),
 * forked into WEB_CONCURRENCY workers like the service, with two routes:
 *   GET /floor/json     → a tiny JSON object;
 *   GET /floor/pk/:id   → one primary-key query on `trips`, through `pg` (DATABASE_URL, pool of
 *                         DB_POOL_SIZE like the service) or, with DATA_DIR only, PGlite in-process.
 * Prints "floor listening" once every worker listens on PORT.
 */
import cluster from 'node:cluster';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import Fastify from 'fastify';
import pg from 'pg';

const workers = Number(process.env.WEB_CONCURRENCY ?? 1);
const port = Number(process.env.PORT);
const PK_QUERY = 'select id, title, status, version from trips where id = $1';

type Query = (id: string) => Promise<unknown>;

async function openQuery(): Promise<Query> {
  if (process.env.DATABASE_URL) {
    const pool = new pg.Pool({
      connectionString: process.env.DATABASE_URL,
      max: Number(process.env.DB_POOL_SIZE ?? 20),
    });
    return async (id) => (await pool.query(PK_QUERY, [id])).rows[0];
  }
  const client = new PGlite(path.join(process.env.DATA_DIR!, 'pgdata'));
  await client.waitReady;
  return async (id) => (await client.query(PK_QUERY, [id])).rows[0];
}

async function serve(): Promise<void> {
  const query = await openQuery();
  const app = Fastify({ logger: false });
  app.get('/floor/json', async () => ({ status: 'ok' }));
  app.get<{ Params: { id: string } }>('/floor/pk/:id', async (request, reply) => {
    const row = await query(request.params.id);
    return row ?? reply.code(404).send({ error: 'not found' });
  });
  await app.listen({ port, host: '127.0.0.1' });
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
  if (workers === 1) console.log('floor listening');
}

if (workers > 1 && cluster.isPrimary) {
  let listening = 0;
  cluster.on('listening', () => ++listening === workers && console.log('floor listening'));
  for (let i = 0; i < workers; i++) cluster.fork();
  process.once('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    cluster.on('exit', () => Object.keys(cluster.workers ?? {}).length === 0 && process.exit(0));
  });
} else {
  await serve();
}
