import { readFileSync } from 'node:fs';
import http, { type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
// Before dockerode: it loads gRPC at once otherwise (see lazy-grpc.ts).
import './lazy-grpc.js';
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

type RequestFn = (options: RequestOptions, callback?: (res: IncomingMessage) => void) => ClientRequest;
type ModemHttp = Record<'http' | 'https', { request: RequestFn }>;
let redirectsOff = false;

/**
 * docker-modem sends every request through its own copy of an old
 * follow-redirects (lib/http.js), which follows a 3xx to wherever Location
 * points, another host included, and leaves that second request without an
 * 'error' listener. The engine answers a path it cannot read (an image name
 * with "../") with a 301. Its request functions become Node's own, once per
 * process: the modem then sees the 3xx as an unexpected status and fails the
 * call with it (statusCode 3xx), and nothing connects anywhere else.
 */
export function neverFollowRedirects(): void {
  if (redirectsOff) return;
  const modemHttp = createRequire(import.meta.url)('docker-modem/lib/http.js') as Partial<ModemHttp>;
  if (typeof modemHttp.http?.request !== 'function' || typeof modemHttp.https?.request !== 'function') {
    // A docker-modem whose layout changed would follow redirects again: refuse to start rather than do so silently.
    throw new Error('docker-modem: lib/http.js no longer has the expected shape; cannot turn off its redirect following');
  }
  modemHttp.http.request = (options, callback) => http.request(options, callback);
  modemHttp.https.request = (options, callback) => https.request(options, callback);
  redirectsOff = true;
}

export function createDockerClient(docker: Config['docker']): Docker {
  neverFollowRedirects();
  return new Docker(dockerOptionsFromConfig(docker));
}
