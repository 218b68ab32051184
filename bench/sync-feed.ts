/**
 * `npm run bench:sync`: the sync feed's cost against a long history.
 * Creates a scratch database on DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres),
 * migrates it, fills `changes` with 1,000,000 rows (generate_series, in 10 transactions): 10% in
 * the main reader's trip, on 1,000 real items; the rest spread over 100 other trips. Then it times
 * a 100-change page read from the start, the middle and the end of the history, for three readers:
 * one trip holding 10% of the log, one trip holding 0.9%, and twenty trips. Drops the database.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openDatabase, type Database } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { START, type Cursor } from '../src/modules/changes/read-changes.ts';
import { decodeSyncCursor, encodeSyncCursor } from '../src/modules/sync/cursor.ts';
import { readFeedPage } from '../src/modules/sync/feed.ts';

const BASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const TOTAL = 1_000_000;
const BATCHES = 10;
const RUNS = 7;

interface Reader {
  label: string;
  userId: string;
  trips: string[];
}

async function admin(sqlText: string): Promise<void> {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    await client.query(sqlText);
  } finally {
    await client.end();
  }
}

async function addUser(exec: Parameters<Parameters<Database['withSession']>[0]>[0], trips: string[]) {
  const userId = randomUUID();
  await exec(`insert into users (id, email, username, password_hash) values ($1, $2, $2, 'x')`, [
    userId,
    `${userId}@example.test`,
  ]);
  await exec(`insert into trip_members (trip_id, user_id, role) select unnest($1::uuid[]), $2, 'owner'`, [
    trips,
    userId,
  ]);
  return userId;
}

async function seed(database: Database): Promise<Reader[]> {
  const tripId = randomUUID();
  return database.withSession(async (exec) => {
    await exec(`insert into trips (id, title) values ($1, 'Bench trip')`, [tripId]);
    await exec(`insert into trips (title) select 'Other ' || g from generate_series(1, 100) g`);
    await exec(`insert into itineraries (trip_id, date) values ($1, '2030-01-01')`, [tripId]);
    await exec(
      `insert into itinerary_items (itinerary_id, trip_id, title, position)
       select d.id, $1, 'Item ' || g, g - 1 from generate_series(1, 1000) g, itineraries d where d.trip_id = $1`,
      [tripId],
    );
    for (let batch = 0; batch < BATCHES; batch++) {
      // Every 10th change is in the bench trip, on one of its items; the rest cycle over the others.
      await exec(
        `with mine as (select array_agg(id order by id) ids from itinerary_items where trip_id = $1),
              others as (select array_agg(id order by id) ids from trips where id <> $1)
         insert into changes (trip_id, entity, entity_id, op, version, fields)
         select case when g % 10 = 0 then $1::uuid else others.ids[1 + (g / 10) % 100] end,
                'item',
                case when g % 10 = 0 then mine.ids[1 + (g / 10) % 1000] else gen_random_uuid() end,
                'update', 2, '{title}'
         from generate_series(1, ${TOTAL / BATCHES}) g, mine, others`,
        [tripId],
      );
    }
    await exec('analyze');
    const { rows } = await exec(`select id from trips where id <> $1 order by id limit 20`, [tripId]);
    const others = rows.map((r) => r.id as string);
    return [
      { label: 'one trip, 10% of the log', userId: await addUser(exec, [tripId]), trips: [tripId] },
      {
        label: 'one trip, 0.9% of the log',
        userId: await addUser(exec, others.slice(0, 1)),
        trips: others.slice(0, 1),
      },
      { label: '20 trips, 18% of the log', userId: await addUser(exec, others), trips: others },
    ];
  });
}

/** How many changes the trips hold, and the positions just before the first, middle and last page. */
async function positions(database: Database, trips: string[]) {
  return database.withSession(async (exec) => {
    const { rows } = await exec(`select count(*)::int as n from changes where trip_id = any($1::uuid[])`, [
      trips,
    ]);
    const total = rows[0]!.n as number;
    const points: { n: number; at: Cursor }[] = [];
    for (const n of [0, Math.floor(total / 2), total - 100]) {
      if (n === 0) {
        points.push({ n, at: START });
        continue;
      }
      const found = await exec(
        `select txid::text as txid, seq::text as seq from changes where trip_id = any($1::uuid[])
         order by changes.txid, changes.seq offset $2 limit 1`,
        [trips, n - 1],
      );
      const at = { txid: BigInt(found.rows[0]!.txid as string), seq: BigInt(found.rows[0]!.seq as string) };
      points.push({ n, at });
    }
    return { total, points };
  });
}

async function timePage(database: Database, reader: Reader, position: Cursor) {
  // Round-trip the cursor as a client would send it. The readers' memberships were made after the
  // history, so from any of these positions their trips are held and their log is what is read.
  const cursor = decodeSyncCursor(encodeSyncCursor({ position, snapshot: null }))!;
  const times: number[] = [];
  let entries = 0;
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const page = await readFeedPage(database.db, {
      userId: reader.userId,
      cursor,
      limit: 100,
      mediaUrl: (key) => key,
    });
    times.push(performance.now() - started);
    entries = page.entries.length;
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(RUNS / 2)]!, best: times[0]!, entries };
}

async function main(): Promise<void> {
  const name = `stp_bench_${Date.now()}_${process.pid}`;
  await admin(`create database ${name}`);
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({
    kind: 'postgres',
    url: url.toString(),
    sslMode: 'disable',
    poolSize: 2,
  });
  try {
    await migrate(database);
    const started = performance.now();
    const readers = await seed(database);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `seeded ${TOTAL.toLocaleString('en')} changes in ${seconds} s; page = 100 changes, ${RUNS} runs each`,
    );
    for (const reader of readers) {
      const { total, points } = await positions(database, reader.trips);
      console.log(`${reader.label} (${total.toLocaleString('en')} changes):`);
      for (const [index, point] of points.entries()) {
        const label = ['start', 'middle', 'end'][index]!.padEnd(6);
        const { median, best, entries } = await timePage(database, reader, point.at);
        const after = String(point.n).padStart(6);
        console.log(
          `  ${label} (after change ${after}): ${median.toFixed(2)} ms median, ${best.toFixed(2)} ms best, ${entries} objects`,
        );
      }
    }
  } finally {
    await database.close();
    await admin(`drop database if exists ${name} with (force)`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
