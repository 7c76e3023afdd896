import { readFileSync } from 'node:fs';
import path from 'node:path';
import { testEnvInstance } from './test-env-instance.js';

/**
 * A third private dockerd, for tests of several engines: reachable on its unix socket, on
 * tcp://127.0.0.1:5062 with mutual TLS and over ssh://root@127.0.0.1:5063 (a private sshd whose
 * sessions run `docker system dial-stdio` against this engine). It has no registry of its own
 * (it pulls from the main one, 127.0.0.1:5055) and no PostgreSQL. Its own bridge and address pool
 * keep it apart from the main (capstan0) and outage (capstan1) instances.
 */
const script = testEnvInstance({
  CAPSTAN_TEST_ENV_DIR: '/tmp/capstan-remote',
  CAPSTAN_TEST_BRIDGE: 'capstan2',
  CAPSTAN_TEST_BRIDGE_CIDR: '10.213.79.1/24',
  CAPSTAN_TEST_ADDRESS_POOL: '10.222.0.0/16',
  CAPSTAN_TEST_TLS_PORT: '5062',
  CAPSTAN_TEST_SSH_PORT: '5063',
  CAPSTAN_TEST_NO_PG: '1',
  CAPSTAN_TEST_NO_REGISTRY: '1',
});

/** PEM texts, as the docker CLI's DOCKER_CERT_PATH holds them (ca.pem, cert.pem, key.pem). */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface RemoteEngine {
  /** unix:///tmp/capstan-remote/docker.sock (a DOCKER_HOST value) */
  socket: string;
  /** tcp://127.0.0.1:5062: mutual TLS only */
  tcpUrl: string;
  /** a client set the engine accepts */
  tls: TlsFiles;
  /** ca.pem is the right CA (the server checks out), but cert/key come from another CA: refused */
  wrongTls: TlsFiles;
  /** the directories holding them (DOCKER_CERT_PATH style) */
  tlsDir: string;
  wrongTlsDir: string;
  /** ssh://root@127.0.0.1:5063 */
  sshUrl: string;
  /** ed25519 private key (OpenSSH PEM) that may log in */
  sshKey: string;
  /** another ed25519 private key, not authorized */
  wrongSshKey: string;
  /** a known_hosts file holding the sshd's host key as `[127.0.0.1]:5063 ssh-ed25519 ...` */
  sshKnownHosts: string;
}

function parse(out: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) vars.set(line.slice(0, i), line.slice(i + 1));
  }
  return vars;
}

const read = (file: string) => readFileSync(file, 'utf8');
const tlsFiles = (dir: string): TlsFiles => ({
  ca: read(path.join(dir, 'ca.pem')),
  cert: read(path.join(dir, 'cert.pem')),
  key: read(path.join(dir, 'key.pem')),
});

/** Brings the remote engine (dockerd + TLS listener + sshd) up; idempotent and fast when it is. */
export function startRemoteEngine(): RemoteEngine {
  const out = script();
  const vars = parse(out);
  const need = (key: string): string => {
    const v = vars.get(key);
    // only KEY names in the message: the output holds no secrets, but keep it short
    if (!v) throw new Error(`remote engine: no ${key} in the output of scripts/test-env.sh (keys: ${[...vars.keys()].join(', ')})`);
    return v;
  };
  const tlsDir = need('CAPSTAN_TEST_TLS_DIR');
  const wrongTlsDir = need('CAPSTAN_TEST_TLS_WRONG_DIR');
  return {
    socket: need('DOCKER_HOST'),
    tcpUrl: need('CAPSTAN_TEST_TLS_URL'),
    tls: tlsFiles(tlsDir),
    wrongTls: tlsFiles(wrongTlsDir),
    tlsDir,
    wrongTlsDir,
    sshUrl: need('CAPSTAN_TEST_SSH_URL'),
    sshKey: read(need('CAPSTAN_TEST_SSH_KEY')),
    wrongSshKey: read(need('CAPSTAN_TEST_SSH_WRONG_KEY')),
    sshKnownHosts: need('CAPSTAN_TEST_SSH_KNOWN_HOSTS'),
  };
}

/** Takes the engine away (unix socket and TLS listener; sshd stays, its dial-stdio then fails). */
export const stopRemoteDockerd = () => void script('stop-docker');
/** Brings it back, with its TLS listener. */
export const startRemoteDockerd = () => void script('start-docker');
