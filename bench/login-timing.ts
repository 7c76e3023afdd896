/**
 * Login timing: an unknown username must cost about what a wrong password
 * costs, so response times do not reveal which usernames exist.
 * Prints medians and the ratio unknown/wrong (1.00 is ideal).
 *   npx tsx bench/login-timing.ts [rounds<=24]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/server/env.js';
import { silentLogger } from '../src/server/log.js';
import { startCapstan } from '../src/server/main.js';

// 24 rounds make 48 failures from one address, just under the 50 that trip the address throttle.
const rounds = Math.min(24, Number(process.argv[2] ?? 24));
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'capstan-bench-'));
const config = loadConfig({
  PORT: '0',
  CAPSTAN_DATA_DIR: dataDir,
  CAPSTAN_ADMIN_USERNAME: 'admin',
  CAPSTAN_ADMIN_PASSWORD: 'bench-password-1',
  DOCKER_HOST: 'unix:///tmp/capstan-bench-no-engine.sock',
});
const running = await startCapstan(config, silentLogger);

async function timeLogin(username: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${running.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'definitely-wrong' }),
  });
  await res.text();
  if (res.status !== 401) throw new Error(`expected 401, got ${res.status}`);
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const wrong: number[] = [];
const unknown: number[] = [];
try {
  // Interleaved, and each attempt under its own username so the throttle never answers instead.
  for (let i = 0; i < rounds; i++) {
    await running.app.users.add(`bench${i}`, 'bench-password-1');
    wrong.push(await timeLogin(`bench${i}`));
    unknown.push(await timeLogin(`ghost${i}`));
  }
} finally {
  await running.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
const mw = median(wrong);
const mu = median(unknown);
console.log(`login, wrong password: median ${mw.toFixed(1)} ms over ${rounds}`);
console.log(`login, unknown user:   median ${mu.toFixed(1)} ms over ${rounds}`);
console.log(`ratio unknown/wrong: ${(mu / mw).toFixed(2)}`);
