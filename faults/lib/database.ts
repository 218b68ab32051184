import pg from 'pg';
import { onCleanup } from './cleanup.ts';

export interface FreshDatabase {
  name: string;
  url: string;
  drop: () => Promise<void>;
}

/**
 * A new empty database beside the one `adminUrl` names (the app migrates it on start), dropped at
 * cleanup. The name is printed so a database left behind by a killed run can be found.
 */
export async function freshDatabase(adminUrl: string, tag: string): Promise<FreshDatabase> {
  const name = `stp_faults_${tag}_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  console.log(`  # fresh database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const drop = onCleanup(`database ${name}`, async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
  });
  return { name, url: url.toString(), drop };
}
