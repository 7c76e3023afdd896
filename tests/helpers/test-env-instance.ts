import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The options of scripts/test-env.sh one instance is made of; any left out are unset, never inherited from the caller. */
const INSTANCE_KEYS = [
  'CAPSTAN_TEST_ENV_DIR',
  'CAPSTAN_TEST_REGISTRY_PORT',
  'CAPSTAN_TEST_BRIDGE',
  'CAPSTAN_TEST_BRIDGE_CIDR',
  'CAPSTAN_TEST_ADDRESS_POOL',
  'CAPSTAN_TEST_TLS_PORT',
  'CAPSTAN_TEST_SSH_PORT',
  'CAPSTAN_TEST_NO_PG',
  'CAPSTAN_TEST_NO_REGISTRY',
] as const;

/**
 * A private instance of the test environment (its own dockerd, bridge and
 * address pool): the script, run with exactly these options. Returns its
 * stdout (the KEY=value lines of `up`).
 */
export function testEnvInstance(options: Partial<Record<(typeof INSTANCE_KEYS)[number], string>>): (...args: string[]) => string {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of INSTANCE_KEYS) delete env[key];
  Object.assign(env, options);
  return (...args) =>
    execFileSync('bash', [path.join(root, 'scripts/test-env.sh'), ...args], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 5 * 60_000,
    });
}
