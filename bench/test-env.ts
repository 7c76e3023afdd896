import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The private engine, registry and test images of scripts/test-env.sh (started when needed; idempotent), as its KEY=value lines. */
export function testEnv(): Record<string, string> {
  const out = execFileSync('bash', [path.join(root, 'scripts/test-env.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const pairs = out.split('\n').map((l) => /^([A-Z_]+)=(.*)$/.exec(l.trim()));
  return Object.fromEntries(pairs.filter((m) => m !== null).map((m) => [m[1]!, m[2]!]));
}
