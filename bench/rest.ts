/**
 * Capstan at rest, as `npm start` runs it (the server compiled to JavaScript,
 * run by plain node) with a fresh data dir and 0 services, on the private
 * test engine of scripts/test-env.sh:
 *  - cold start: from spawning the process to the first successful login
 *    (median of 5, each with a fresh data dir: initdb included);
 *  - Node RSS once idle and settled;
 *  - the embedded PostgreSQL's proportional set size, summed over every
 *    postgres process running in the data dir (Pss of smaps_rollup).
 * Printed against the goals of issue 14.
 *   npx tsx bench/rest.ts [starts=5]
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildServer, kib, removeBuild, settledRss, startBuilt, stopBuilt, type BuiltCapstan } from './built-capstan.js';
import { testEnv } from './test-env.js';

const STARTS = Number(process.argv[2] ?? 5);

/** Every live postgres process whose working directory is the data dir (a postmaster and its children run there). */
function postgresPss(pgDir: string): { count: number; pssKib: number } {
  const dir = realpathSync(pgDir);
  let count = 0;
  let pssKib = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!comm.startsWith('postgres') || readlinkSync(`/proc/${entry}/cwd`) !== dir) continue;
      pssKib += kib(`/proc/${entry}/smaps_rollup`, 'Pss');
      count++;
    } catch {
      // exited meanwhile
    }
  }
  return { count, pssKib };
}

const env = testEnv();
const work = mkdtempSync(path.join(os.tmpdir(), 'capstan-bench-rest-'));
chmodSync(work, 0o711); // the embedded PostgreSQL runs as user postgres and must reach data/pg
const running: BuiltCapstan[] = [];
try {
  const main = buildServer(work);
  const cold: number[] = [];
  let rssKib = 0;
  let pg = { count: 0, pssKib: 0 };
  for (let i = 0; i < STARTS; i++) {
    const s = await startBuilt(main, path.join(work, `data-${i}`), env.DOCKER_HOST!);
    running.push(s);
    cold.push(s.coldMs);
    if (i === STARTS - 1) {
      rssKib = await settledRss(s.child.pid!);
      pg = postgresPss(path.join(s.dataDir, 'pg'));
    }
    await stopBuilt(s);
  }
  const median = [...cold].sort((a, b) => a - b)[Math.floor(cold.length / 2)]!;
  const mb = (k: number) => (k / 1024).toFixed(1);
  console.log(`node rss idle, 0 services: capstan ${mb(rssKib)} MiB, goal 80 MB`);
  console.log(`embedded postgres pss, ${pg.count} processes: capstan ${mb(pg.pssKib)} MiB, goal 40 MB`);
  console.log(`cold start to first login, fresh data dir (median of ${STARTS}): capstan ${(median / 1000).toFixed(2)} s, goal 2 s (${cold.map((c) => (c / 1000).toFixed(2)).join(', ')})`);
} finally {
  for (const s of running) await stopBuilt(s);
  removeBuild(work);
}
