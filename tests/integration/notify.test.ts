import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Notifications, type Channel } from '../../src/jobs/notify.js';
import { silentLogger } from '../../src/server/log.js';

// The cross-process notices on a real PostgreSQL: delivery between two processes' buses, and a cut listener.
const admin = new URL(inject('testEnv').pgUrl);
const dbName = `capstan_notify_${Math.random().toString(36).slice(2, 10)}`;
const url = new URL(admin.href);
url.pathname = `/${dbName}`;
const pools: pg.Pool[] = [];

async function adminQuery(connectionString: string, text: string, args: unknown[] = []) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query(text, args)).rows;
  } finally {
    await client.end();
  }
}

async function bus(): Promise<Notifications> {
  const pool = new pg.Pool({ connectionString: url.href, max: 2 });
  pool.on('error', () => {});
  pools.push(pool);
  const n = new Notifications(url.href, pool, silentLogger);
  await n.start();
  return n;
}

function next(n: Notifications, event: 'message' | 'resync'): Promise<unknown[]> {
  return new Promise((resolve) => n.once(event, (...args: unknown[]) => resolve(args)));
}

beforeAll(() => adminQuery(admin.href, `CREATE DATABASE ${dbName}`));
afterAll(async () => {
  for (const p of pools) await p.end().catch(() => {});
  await adminQuery(admin.href, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
});

describe('notifications between processes', () => {
  it('one bus hears the other, never itself; a listener cut by the server reconnects and asks for a resync', async () => {
    const [one, two] = [await bus(), await bus()];
    try {
      const heardByOne: [Channel, string][] = [];
      one.on('message', (c, p) => heardByOne.push([c, p]));
      const got = next(two, 'message');
      one.publish('capstan_deployment', 'd1 3');
      expect(await got).toEqual(['capstan_deployment', 'd1 3']);
      expect(heardByOne).toEqual([]);

      // The server ends two's listening session (a restart, an idle cut): it comes back by itself.
      const resynced = next(two, 'resync');
      const killed = await adminQuery(
        url.href,
        "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()",
        [dbName],
      );
      expect(killed.length).toBeGreaterThan(0);
      await resynced;
      const again = next(two, 'message');
      one.publish('capstan_service', 's1');
      expect(await again).toEqual(['capstan_service', 's1']);
    } finally {
      await one.stop();
      await two.stop();
    }
  });
});
