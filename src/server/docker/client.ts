import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import type { Config } from '../env.js';

export type DockerOptions = Docker.DockerOptions;

/**
 * Reads DOCKER_HOST (and DOCKER_TLS_VERIFY / DOCKER_CERT_PATH) the way the
 * docker CLI does: unix:// socket, tcp:// (https when TLS is verified),
 * ssh://user@host, or an explicit http(s):// URL.
 */
export function dockerOptionsFromConfig(docker: Config['docker']): DockerOptions {
  const url = new URL(docker.host);
  switch (url.protocol) {
    case 'unix:':
    case 'npipe:':
      return { socketPath: decodeURIComponent(url.pathname) || '/var/run/docker.sock' };
    case 'ssh:':
      return {
        protocol: 'ssh',
        host: url.hostname,
        port: url.port ? Number(url.port) : 22,
        ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      };
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const tls = url.protocol === 'https:' || docker.tlsVerify;
      const base: DockerOptions = {
        protocol: tls ? 'https' : 'http',
        host: url.hostname,
        port: url.port ? Number(url.port) : tls ? 2376 : 2375,
      };
      if (!docker.tlsVerify) return base;
      const dir = docker.certPath ?? path.join(os.homedir(), '.docker');
      return {
        ...base,
        ca: readFileSync(path.join(dir, 'ca.pem')),
        cert: readFileSync(path.join(dir, 'cert.pem')),
        key: readFileSync(path.join(dir, 'key.pem')),
      };
    }
    default:
      throw new Error(`DOCKER_HOST: unsupported scheme "${url.protocol}"`);
  }
}

export function createDockerClient(docker: Config['docker']): Docker {
  return new Docker(dockerOptionsFromConfig(docker));
}
