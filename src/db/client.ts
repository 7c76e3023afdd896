import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import * as schema from './schema.js';

export type Db = LibSQLDatabase<typeof schema>;

const BUSY_TIMEOUT_MS = 5000;

export interface Database {
  db: Db;
  client: Client;
  close(): void;
}

/** Opens the product database; for a local file, creates its folder and sets the pragmas a server needs. */
export async function openDatabase(url: string, authToken?: string): Promise<Database> {
  const isFile = url.startsWith('file:');
  if (isFile) {
    const file = url.startsWith('file://') ? fileURLToPath(url) : url.slice('file:'.length);
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  }
  // The client keeps a pool of connections and a PRAGMA reaches only the one that ran it, so the
  // busy timeout (wait out a writer instead of failing) goes in the options, which every connection gets.
  const client = createClient({ url, ...(authToken ? { authToken } : {}), ...(isFile ? { timeout: BUSY_TIMEOUT_MS } : {}) });
  if (isFile) {
    // WAL lets readers run beside the one writer; it is a property of the file, so once is enough.
    await client.execute('PRAGMA journal_mode = WAL');
    await client.execute(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Deleted rows are overwritten, not left in free pages of the file. Per connection: certain for
    // the migrations (they run first, on this one), best effort afterwards.
    await client.execute('PRAGMA secure_delete = ON');
  }
  await client.execute('PRAGMA foreign_keys = ON');
  const db = drizzle(client, { schema });
  return { db, client, close: () => client.close() };
}
