import { testEnvInstance } from './test-env-instance.js';

/**
 * A second private dockerd, for tests that take the engine away: stopping the
 * shared one would break every other test running beside them.
 */
const script = testEnvInstance({
  CAPSTAN_TEST_ENV_DIR: '/tmp/capstan-outage',
  CAPSTAN_TEST_REGISTRY_PORT: '5057',
  CAPSTAN_TEST_BRIDGE: 'capstan1',
  CAPSTAN_TEST_BRIDGE_CIDR: '10.213.78.1/24',
  CAPSTAN_TEST_ADDRESS_POOL: '10.221.0.0/16',
  CAPSTAN_TEST_NO_PG: '1',
});

export function startSecondEngine(): { dockerHost: string } {
  const out = script();
  const host = /^DOCKER_HOST=(.+)$/m.exec(out)?.[1];
  if (!host) throw new Error(`second engine: no DOCKER_HOST in\n${out}`);
  return { dockerHost: host };
}

export const stopSecondDockerd = () => void script('stop-docker');
export const startSecondDockerd = () => void script('start-docker');
