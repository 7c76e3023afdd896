import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/libsql/migrator';
import type { Db } from './client.js';

/** drizzle/ sits at the package root, two levels above both src/db and dist/db. */
export const migrationsFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');

export async function migrateDatabase(db: Db): Promise<void> {
  await migrate(db, { migrationsFolder });
  // What a migration deleted (0008: sessions stored as raw tokens) still sits in the old page
  // images of the write-ahead log, which this client does not checkpoint even on close. Copy the
  // log into the file and empty it. Not a WAL file (a remote libSQL): nothing to do.
  await db.run(sql`PRAGMA wal_checkpoint(TRUNCATE)`).catch(() => undefined);
}
