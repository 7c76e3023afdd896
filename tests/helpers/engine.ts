import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { inject } from 'vitest';

/** A dockerode client on the private test engine, for checking what Capstan did (and doing things behind its back). */
export function testDocker(): Docker {
  const host = inject('testEnv').dockerHost;
  return new Docker({ socketPath: new URL(host).pathname });
}

/** A unique, valid service name for one test, so tests sharing the engine never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A TCP port that is free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export async function inspect(docker: Docker, id: string) {
  return docker.getContainer(id).inspect();
}

/** Containers of a compose project, as the docker CLI would group them. */
export async function projectContainers(docker: Docker, project: string) {
  return docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } });
}

export async function volumeExists(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getVolume(name).inspect();
    return true;
  } catch {
    return false;
  }
}

export async function networkExists(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getNetwork(name).inspect();
    return true;
  } catch {
    return false;
  }
}

/** A container Capstan does not manage, running, holding 127.0.0.1:<port> (a host port another service wants). */
export async function startPortHolder(docker: Docker, image: string, port: number): Promise<Docker.Container> {
  const c = await docker.createContainer({
    name: uniqueName('stranger'),
    Image: image,
    Cmd: ['sleep', '86400'],
    ExposedPorts: { '80/tcp': {} },
    HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
  });
  await c.start();
  return c;
}

/** Runs a command in a container (by id or name) and returns its stdout. */
export async function execIn(docker: Docker, container: string, cmd: string[]): Promise<string> {
  const e = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (b: Buffer) => chunks.push(b));
  docker.modem.demuxStream(stream, out, new PassThrough());
  await new Promise((r) => stream.on('end', r));
  return Buffer.concat(chunks).toString('utf8');
}
