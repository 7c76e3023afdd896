import { createConnection, createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { joinSockets } from './join.js';

/**
 * A unix-socket proxy in front of the test engine that counts the HTTP
 * requests going through it and the connections open: how tests see what
 * Capstan asks of Docker without mocking anything.
 */
export interface DockerProxy {
  dockerHost: string;
  requests(): number;
  /** The request lines' paths (with their query), in order: what Capstan asked the engine. */
  urls(): string[];
  openConnections(): number;
  close(): Promise<void>;
}

const REQUEST_LINE = /(?:GET|POST|PUT|DELETE|HEAD) (\/[^ \r\n]*) HTTP\/1\.[01]\r\n/g;

export async function startDockerProxy(targetDockerHost: string): Promise<DockerProxy> {
  const target = new URL(targetDockerHost).pathname;
  const socketPath = path.join(os.tmpdir(), `capstan-proxy-${process.pid}-${Math.random().toString(36).slice(2, 8)}.sock`);
  let requests = 0;
  const urls: string[] = [];
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    open.add(client);
    client.on('data', (chunk: Buffer) => {
      for (const m of chunk.toString('latin1').matchAll(REQUEST_LINE)) {
        requests++;
        if (urls.length < 100_000) urls.push(m[1]!);
      }
    });
    joinSockets(client, upstream, () => open.delete(client));
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return {
    dockerHost: `unix://${socketPath}`,
    requests: () => requests,
    urls: () => [...urls],
    openConnections: () => open.size,
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}
