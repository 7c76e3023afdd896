import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * A second private dockerd, for tests that take the engine away: stopping the
 * shared one would break every other test running beside them.
 */
const env = {
  ...process.env,
  CAPSTAN_TEST_ENV_DIR: '/tmp/capstan-outage',
  CAPSTAN_TEST_REGISTRY_PORT: '5057',
  CAPSTAN_TEST_BRIDGE: 'capstan1',
  CAPSTAN_TEST_BRIDGE_CIDR: '10.213.78.1/24',
  CAPSTAN_TEST_ADDRESS_POOL: '10.221.0.0/16',
  CAPSTAN_TEST_NO_PG: '1',
};

function script(...args: string[]): string {
  return execFileSync('bash', [path.join(root, 'scripts/test-env.sh'), ...args], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 5 * 60_000,
  });
}

export function startSecondEngine(): { dockerHost: string } {
  const out = script();
  const host = /^DOCKER_HOST=(.+)$/m.exec(out)?.[1];
  if (!host) throw new Error(`second engine: no DOCKER_HOST in\n${out}`);
  return { dockerHost: host };
}

export const stopSecondDockerd = () => void script('stop-docker');
export const startSecondDockerd = () => void script('start-docker');
