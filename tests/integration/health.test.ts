import { createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isContractError, startTestServer, useServer } from '../helpers/server.js';

describe('GET /api/health/status against the real engine', () => {
  const ctx = useServer();

  it('answers the services list', async () => {
    const res = await ctx.s.request('GET', '/api/health/status', { token: ctx.token });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ services: [] });
  });

  it('reaches the engine: its version is readable through the same client', async () => {
    const info = await ctx.s.app.engines.find('local')!.engine.version();
    expect(info.apiVersion).toMatch(/^\d+\.\d+$/);
  });
});

describe('GET /api/health/status with the engine unreachable', () => {
  it('answers 503 when nothing listens on the socket, and the server keeps running', async () => {
    const s = await startTestServer({ DOCKER_HOST: 'unix:///tmp/capstan-no-such-engine.sock' });
    try {
      const token = await s.login();
      const res = await s.request('GET', '/api/health/status', { token });
      expect(res.status).toBe(503);
      expect(isContractError(res.json)).toBe(true);
      expect(res.json.error).toBe('Docker engine unavailable');
      expect(res.json.details).toContain('capstan-no-such-engine.sock');
      expect((await s.request('GET', '/auth/me', { token })).status).toBe(200);
    } finally {
      await s.dispose();
    }
  });

  it('answers 503 when the engine accepts connections but never answers', async () => {
    // A black hole: accepts TCP connections on 127.0.0.1 and never writes a byte.
    const sockets = new Set<Socket>();
    const hole: Server = createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    const port = (hole.address() as { port: number }).port;
    const s = await startTestServer({ DOCKER_HOST: `tcp://127.0.0.1:${port}` });
    try {
      const token = await s.login();
      // The client's own limit is far above the server's engine deadline: the answer must come from the server.
      const res = await s.request('GET', '/api/health/status', { token });
      expect(res.status).toBe(503);
      expect(res.json).toMatchObject({ error: 'Docker engine unavailable', code: 'SERVICE_UNAVAILABLE' });
      expect(res.json.details).toMatch(/no answer from the engine/);
      expect((await s.request('GET', '/auth/me', { token })).status).toBe(200);
    } finally {
      await s.dispose();
      for (const sock of sockets) sock.destroy();
      hole.close();
    }
  });
});
