import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/env.js';
import { createLogger } from '../../src/server/log.js';
import { engineEndpoint, startCapstan } from '../../src/server/main.js';
import { ADMIN, httpRequest, newDataDir } from '../helpers/server.js';

describe('a start with no reachable engine', () => {
  it('says once which endpoint was tried and that the UI shows it as down, and keeps serving', async () => {
    const dataDir = newDataDir();
    const socket = `${dataDir}/no-engine.sock`;
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('info', (l) => void lines.push(JSON.parse(l) as Record<string, unknown>));
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      CAPSTAN_DATA_DIR: dataDir,
      DOCKER_HOST: `unix://${socket}`,
      CAPSTAN_ADMIN_USERNAME: ADMIN.username,
      CAPSTAN_ADMIN_PASSWORD: ADMIN.password,
    });
    const running = await startCapstan(config, log);
    try {
      const said = () => lines.filter((l) => l.msg === 'docker engine unreachable');
      await expect.poll(() => said().length, { timeout: 15_000 }).toBe(1);
      expect(said()[0]).toMatchObject({ level: 'warn', endpoint: `unix://${socket}`, note: expect.stringMatching(/dashboard shows the engine as down/) });
      const login = await httpRequest(running.url, 'POST', '/auth/login', { body: ADMIN });
      expect(login.status).toBe(200);
      const health = await httpRequest(running.url, 'GET', '/api/health/status', { token: login.json.token });
      expect(health.status).toBe(503);
      expect(said()).toHaveLength(1);
    } finally {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('never logs a password from DOCKER_HOST', () => {
    expect(engineEndpoint({ host: 'tcp://me:secret@10.0.0.1:2376', tlsVerify: true, certPath: undefined })).toBe('tcp://me:***@10.0.0.1:2376');
    expect(engineEndpoint({ host: 'unix:///var/run/docker.sock', tlsVerify: false, certPath: undefined })).toBe('unix:///var/run/docker.sock');
  });
});
