import ssh2 from 'ssh2';
import { CapstanError } from '../errors.js';
import { closeDockerClient, createDockerClient, type EngineEndpoint } from './client.js';
import { Engine } from './engine.js';
import { isEngineUnreachable, isTlsFailure } from './errors.js';

/** What a connection test learnt: the engine's version and, over ssh, the host key it presented. */
export interface EngineProbe {
  version: string;
  apiVersion: string;
  /** The ssh host key's fingerprint (`SHA256:…`); null for other transports. */
  hostKey: string | null;
  /** The daemon's own id (/info): another engine entry with the same id is the same daemon. */
  daemonId: string;
}

/** The URL schemes an engine may have, and what each needs. */
export type EngineKind = 'unix' | 'tcp' | 'ssh';

const bad = (message: string, details: string) => new CapstanError('BAD_REQUEST', message, { details });

/**
 * Checks an engine URL before anything connects: its scheme, a host for
 * tcp:// and ssh://, a user for ssh://, a path for unix://, and no password
 * (credentials go in `tls` / `ssh`, sealed, never in a URL that is shown).
 */
export function engineKindOf(raw: string): EngineKind {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad('Invalid engine URL', 'url: not a URL; use unix:///path/to/docker.sock, tcp://host:port or ssh://user@host');
  }
  if (url.password) throw bad('Invalid engine URL', 'url: put no password in the URL (ssh logs in with a key, tcp with TLS certificates)');
  if (url.search || url.hash) throw bad('Invalid engine URL', 'url: no query or fragment');
  switch (url.protocol) {
    case 'unix:':
      if (!url.pathname || url.pathname === '/' || url.host) throw bad('Invalid engine URL', 'url: unix:// needs an absolute socket path, as in unix:///var/run/docker.sock');
      return 'unix';
    case 'tcp:':
      if (!url.hostname) throw bad('Invalid engine URL', 'url: tcp:// needs a host, as in tcp://10.0.0.5:2376');
      if (url.pathname && url.pathname !== '/') throw bad('Invalid engine URL', 'url: tcp:// takes a host and port only');
      return 'tcp';
    case 'ssh:':
      if (!url.hostname) throw bad('Invalid engine URL', 'url: ssh:// needs a host, as in ssh://deploy@10.0.0.5');
      if (!url.username) throw bad('Invalid engine URL', 'url: ssh:// needs a user, as in ssh://deploy@10.0.0.5');
      if (url.pathname && url.pathname !== '/') throw bad('Invalid engine URL', 'url: ssh:// takes user, host and port only');
      return 'ssh';
    default:
      throw bad('Invalid engine URL', `url: the scheme "${url.protocol.replace(/:$/, '')}" is not one of unix, tcp, ssh`);
  }
}

/** A private key ssh2 can use (OpenSSH or PEM, decrypted with the passphrase when it has one); why not otherwise. */
export function checkSshKey(privateKey: string, passphrase: string | undefined): void {
  const parsed = ssh2.utils.parseKey(privateKey, passphrase);
  const error = parsed instanceof Error ? parsed : Array.isArray(parsed) && parsed.length === 0 ? new Error('no key found') : undefined;
  if (error) throw bad('Invalid ssh key', `ssh.private_key: ${error.message.replace(/privateKey/g, 'the key')}`);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key && !key.isPrivateKey()) throw bad('Invalid ssh key', 'ssh.private_key: this is a public key; give the private key');
}

interface FailureLike {
  code?: string;
  level?: string;
  message?: string;
  statusCode?: number;
}

/** Why a connection test failed, in words that say which part of the input to fix. */
function describeFailure(err: unknown, endpoint: EngineEndpoint, mismatch: string | undefined): CapstanError {
  if (mismatch) return bad('The engine\'s ssh host key does not match', `ssh.host_key: expected ${mismatch}`);
  const e = (err ?? {}) as FailureLike;
  const cause = e instanceof CapstanError ? ((e.cause ?? e) as FailureLike) : e;
  const text = (cause.message ?? String(err)).slice(0, 300);
  if (cause.level === 'client-authentication') return bad('ssh authentication failed', `ssh.private_key: the host refused the key (${text})`);
  if (isTlsFailure(cause.code) || /certificate|ssl|tls/i.test(text)) {
    return bad('TLS handshake with the engine failed', `tls: ${cause.code ? `${cause.code}: ` : ''}${text}`);
  }
  if (typeof cause.statusCode === 'number') return bad('The URL does not answer as a Docker engine', `url: HTTP ${cause.statusCode}: ${text}`);
  const overSsh = endpoint.url.startsWith('ssh:');
  if (overSsh && /socket hang up|ECONNRESET|parse error/i.test(text)) {
    return bad(
      'The ssh host did not relay the engine',
      `url: ${text}: "docker system dial-stdio" ended on the host; it needs the docker CLI on its PATH and a running engine it can reach`,
    );
  }
  if (isEngineUnreachable(cause) || cause.level) return bad('Could not reach the engine', `url: ${text}`);
  return bad('Could not connect to the engine', `url: ${text}`);
}

/**
 * A connection test: asks the engine its version over the endpoint, with the
 * engine deadline. Over ssh the host key is checked against `expectHostKey`
 * when given, and reported either way. Every failure is a 400 that names the
 * field to fix; nothing is kept of the client.
 */
export async function probeEngine(endpoint: EngineEndpoint, expectHostKey?: string | null): Promise<EngineProbe> {
  let seen: string | null = null;
  let mismatch: string | undefined;
  const docker = createDockerClient({
    ...endpoint,
    verifyHostKey: (fingerprint) => {
      seen = fingerprint;
      if (expectHostKey && fingerprint !== expectHostKey) {
        mismatch = `${expectHostKey}, the host presented ${fingerprint}`;
        return false;
      }
      return true;
    },
  });
  try {
    const v = await new Engine(docker).identity();
    return { version: v.version, apiVersion: v.apiVersion, hostKey: seen, daemonId: v.daemonId };
  } catch (err) {
    throw describeFailure(err, endpoint, mismatch);
  } finally {
    closeDockerClient(docker);
  }
}
