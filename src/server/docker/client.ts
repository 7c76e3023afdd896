import { createHash } from 'node:crypto';
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
import { ENGINE_DEADLINE_MS } from './errors.js';
import { SshDialAgent } from './ssh-agent.js';

export type DockerOptions = Docker.DockerOptions;

/** An engine as Capstan reaches it: its URL and the credentials it needs (PEM texts, an ssh key). */
export interface EngineEndpoint {
  url: string;
  tls?: { ca: string; cert: string; key: string } | undefined;
  ssh?: { privateKey: string; passphrase?: string | undefined } | undefined;
  /**
   * For ssh://: told the host key's fingerprint (`SHA256:…`, as ssh-keygen -l
   * prints it) at every connection; false refuses the connection.
   */
  verifyHostKey?: ((fingerprint: string) => boolean) | undefined;
}

/** The fingerprint OpenSSH shows for a host key: SHA256 of the key blob, base64 without padding. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/**
 * DOCKER_HOST (and DOCKER_TLS_VERIFY / DOCKER_CERT_PATH) the way the docker
 * CLI reads them: the certificates come from the files in DOCKER_CERT_PATH.
 */
export function endpointFromConfig(docker: Config['docker']): EngineEndpoint {
  const url = new URL(docker.host);
  if (!docker.tlsVerify || !['tcp:', 'http:', 'https:'].includes(url.protocol)) return { url: docker.host };
  const dir = docker.certPath ?? path.join(os.homedir(), '.docker');
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  return { url: docker.host, tls: { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') } };
}

/** Options for dockerode: unix:// socket, tcp:// (https with TLS material), ssh://user@host, or an explicit http(s):// URL. */
export function dockerOptionsFor(endpoint: EngineEndpoint): DockerOptions {
  const url = new URL(endpoint.url);
  switch (url.protocol) {
    case 'unix:':
    case 'npipe:':
      return { socketPath: decodeURIComponent(url.pathname) || '/var/run/docker.sock' };
    case 'ssh:': {
      const ssh = endpoint.ssh;
      const verify = endpoint.verifyHostKey;
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      const port = url.port ? Number(url.port) : 22;
      const agent = new SshDialAgent({
        host,
        port,
        ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
        ...(ssh ? { privateKey: ssh.privateKey, ...(ssh.passphrase ? { passphrase: ssh.passphrase } : {}) } : process.env.SSH_AUTH_SOCK ? { agent: process.env.SSH_AUTH_SOCK } : {}),
        ...(verify ? { hostVerifier: (key: Buffer) => verify(hostKeyFingerprint(key)) } : {}),
        readyTimeout: ENGINE_DEADLINE_MS,
      });
      // Plain HTTP over the agent's connections: each is an ssh session running `docker system dial-stdio`.
      return { protocol: 'http', host, port, agent } as DockerOptions;
    }
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const tls = url.protocol === 'https:' || endpoint.tls !== undefined;
      const base: DockerOptions = {
        protocol: tls ? 'https' : 'http',
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port ? Number(url.port) : tls ? 2376 : 2375,
      };
      return endpoint.tls ? { ...base, ca: endpoint.tls.ca, cert: endpoint.tls.cert, key: endpoint.tls.key } : base;
    }
    default:
      throw new Error(`unsupported engine URL scheme "${url.protocol}"`);
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

export function createDockerClient(endpoint: EngineEndpoint): Docker {
  neverFollowRedirects();
  return new Docker(dockerOptionsFor(endpoint));
}

/** Ends the connections a client keeps open between requests (an ssh engine's sessions); for a client no longer used. */
export function closeDockerClient(docker: Docker): void {
  const agent = (docker.modem as { agent?: unknown }).agent;
  if (agent instanceof SshDialAgent) agent.destroy();
}
