import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Channel } from './notify.js';
import { DATABASE, USER } from './postgres.js';

/**
 * The jobs database of a server running on this data dir, for a process that
 * is not one (the CLI): the configured URL, or the embedded PostgreSQL's
 * address from its postmaster.pid (line 4 is the port) and its password file.
 * Undefined when no server runs there.
 */
function runningJobsDatabase(dataDir: string, configured: string | undefined): string | undefined {
  if (configured) return configured;
  try {
    const port = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[3]);
    const password = readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
    if (!Number.isInteger(port) || port <= 0) return undefined;
    return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
  } catch {
    return undefined;
  }
}

/**
 * Sends notices to every Capstan process of the system (what the CLI changed
 * behind their backs: sessions ended), as the processes tell each other
 * (notify.ts). False when no server could be told: then none is running, or
 * it finds out within its cache's bound.
 */
export async function tellRunningServers(dataDir: string, configured: string | undefined, channel: Channel, payloads: string[]): Promise<boolean> {
  if (payloads.length === 0) return true;
  const connectionString = runningJobsDatabase(dataDir, configured);
  if (!connectionString) return false;
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const origin = `cli-${randomUUID()}`;
    for (const p of payloads) await client.query('SELECT pg_notify($1, $2)', [channel, `${origin} ${p}`]);
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
