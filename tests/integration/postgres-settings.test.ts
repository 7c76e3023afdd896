import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { newDataDir, startTestServer, type TestServer } from '../helpers/server.js';

/** The embedded PostgreSQL runs sized for a job queue, durability kept, also on a data dir made by an earlier start. */
const dataDir = newDataDir();
let s: TestServer | undefined;
afterAll(async () => {
  await s?.dispose();
});

async function settings(connectionString: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const names = ['shared_buffers', 'max_connections', 'work_mem', 'autovacuum', 'autovacuum_max_workers', 'max_wal_size', 'min_wal_size', 'fsync', 'synchronous_commit', 'full_page_writes', 'io_method', 'listen_addresses'];
    const { rows } = await client.query<{ name: string; setting: string; unit: string | null }>('SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)', [names]);
    return Object.fromEntries(rows.map((r) => [r.name, r.unit ? `${r.setting} ${r.unit}` : r.setting]));
  } finally {
    await client.end();
  }
}

const expected = {
  shared_buffers: '2048 8kB',
  max_connections: '20',
  work_mem: '1024 kB',
  autovacuum: 'on',
  autovacuum_max_workers: '1',
  max_wal_size: '64 MB',
  min_wal_size: '32 MB',
  fsync: 'on',
  synchronous_commit: 'on',
  full_page_writes: 'on',
  io_method: 'sync',
  listen_addresses: '127.0.0.1',
};

describe('embedded PostgreSQL settings', () => {
  it('starts with job-queue settings and fsync on, on a fresh data dir and again on the same one', async () => {
    s = await startTestServer({}, dataDir);
    expect(await settings(s.jobs.connectionString)).toEqual(expected);
    await s.stop();
    s = await startTestServer({}, dataDir);
    expect(await settings(s.jobs.connectionString)).toEqual(expected);
  });
});
