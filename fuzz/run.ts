/**
 * `npm run fuzz`: builds the app in-process (embedded PGlite, or a fresh PostgreSQL database when
 * DATABASE_URL is set, plus Redis when REDIS_URL is set), listens on a real port, and fuzzes every
 * operation of its OpenAPI document, then the chat socket. Exit code 1 on any finding.
 * Environment: FUZZ_SEED (default random, printed), FUZZ_COUNT (default 20000), FUZZ_CONCURRENCY
 * (default 16), FUZZ_TRANSPORT (http | inject, default http), FUZZ_WS_FRAMES (default 400).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/index.ts';
import { migrate, openDatabase } from '../src/db/index.ts';
import { runFuzz } from './engine.ts';
import { errorCapture, outboxToken } from './harness.ts';
import { parseSeed } from './prng.ts';
import { formatReport } from './report.ts';
import { httpTransport, injectTransport } from './transport.ts';
import { formatWsReport, runWsFuzz } from './ws-frames.ts';

const env = process.env;
const seed = parseSeed(env.FUZZ_SEED);
const count = Number(env.FUZZ_COUNT ?? 20_000);
const concurrency = Number(env.FUZZ_CONCURRENCY ?? 16);
const wsFrames = Number(env.FUZZ_WS_FRAMES ?? 400);

/** A throwaway database on the given server, dropped at the end (the fuzzer writes a lot of junk). */
async function freshDatabase(baseUrl: string) {
  const name = `stp_fuzz_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

async function main(): Promise<number> {
  console.log(
    `# fuzz seed ${seed} (FUZZ_SEED=${seed} reproduces this run), ${count} requests, concurrency ${concurrency}`,
  );
  const fresh = env.DATABASE_URL ? await freshDatabase(env.DATABASE_URL) : null;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stp-fuzz-'));
  const config = loadConfig({
    APP_ENV: 'test', // cheap password hashing and no rate limiting: the fuzzer wants depth, not 429s
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    DATABASE_URL: fresh?.url,
    DB_SSLMODE: fresh ? 'disable' : undefined,
    DB_POOL_SIZE: '10',
    REDIS_URL: env.REDIS_URL,
  });
  console.log(
    `# database: ${fresh ? `PostgreSQL (fresh database ${new URL(fresh.url).pathname.slice(1)})` : 'embedded PGlite'}; Redis: ${env.REDIS_URL ? 'yes' : 'in-process adapters'}`,
  );
  const database = await openDatabase(config.database);
  await migrate(database);
  const capture = errorCapture();
  const app = await buildApp(config, { database, logStream: capture.stream, emailSender: false });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const transport =
    env.FUZZ_TRANSPORT === 'inject' ? injectTransport(app) : httpTransport(address, concurrency);
  let exitCode = 1;
  try {
    const report = await runFuzz({
      transport,
      seed,
      count,
      concurrency,
      invitationToken: outboxToken(app.ctx.db),
      errorFor: capture.errorFor,
      log: (line) => console.log(`# ${line}`),
    });
    for (const line of formatReport(report)) console.log(line);
    const ws = await runWsFuzz({ baseUrl: address, http: transport, seed, frames: wsFrames });
    for (const line of formatWsReport(ws)) console.log(line);
    const health = await transport.send({ method: 'GET', url: '/health/', headers: {} });
    console.log(`final GET /health/: ${health.status} ${health.text.slice(0, 200)}`);
    const passed =
      report.findings.length === 0 &&
      report.healthFailures.length === 0 &&
      ws.findings.length === 0 &&
      health.status === 200;
    console.log(passed ? 'FUZZ PASS' : 'FUZZ FAIL');
    exitCode = passed ? 0 : 1;
  } finally {
    await transport.close();
    await app.close();
    await database.close();
    await fresh?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
