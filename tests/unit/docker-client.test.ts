import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerOptionsFor, endpointFromConfig, hostKeyFingerprint } from '../../src/server/docker/client.js';
import { SshDialAgent } from '../../src/server/docker/ssh-agent.js';

const dockerOptionsFromConfig = (docker: Parameters<typeof endpointFromConfig>[0]) => dockerOptionsFor(endpointFromConfig(docker));

describe('dockerOptionsFromConfig', () => {
  const plain = { tlsVerify: false, certPath: undefined };

  it('reads unix sockets, tcp and ssh like the docker CLI', () => {
    expect(dockerOptionsFromConfig({ ...plain, host: 'unix:///run/user/1000/docker.sock' })).toEqual({ socketPath: '/run/user/1000/docker.sock' });
    expect(dockerOptionsFromConfig({ ...plain, host: 'tcp://10.0.0.5' })).toEqual({ protocol: 'http', host: '10.0.0.5', port: 2375 });
    expect(dockerOptionsFromConfig({ ...plain, host: 'tcp://10.0.0.5:2380' })).toMatchObject({ port: 2380 });
    const ssh = dockerOptionsFromConfig({ ...plain, host: 'ssh://ops@box:2222' }) as { agent: SshDialAgent };
    expect(ssh).toMatchObject({ protocol: 'http', host: 'box', port: 2222 });
    expect(ssh.agent).toBeInstanceOf(SshDialAgent);
    expect(ssh.agent.connect).toMatchObject({ host: 'box', port: 2222, username: 'ops' });
  });

  it('uses https and the certificates in DOCKER_CERT_PATH when TLS is verified', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'capstan-certs-'));
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(path.join(dir, f), `-- ${f} --`);
    const opts = dockerOptionsFromConfig({ host: 'tcp://engine:2376', tlsVerify: true, certPath: dir });
    expect(opts).toMatchObject({ protocol: 'https', host: 'engine', port: 2376 });
    expect(String(opts.ca)).toBe('-- ca.pem --');
    expect(String(opts.cert)).toBe('-- cert.pem --');
    expect(String(opts.key)).toBe('-- key.pem --');
  });

  it('passes TLS material and ssh keys of a stored engine, and checks an ssh host key by its OpenSSH fingerprint', () => {
    const tls = { ca: 'CA', cert: 'CERT', key: 'KEY' };
    expect(dockerOptionsFor({ url: 'tcp://10.0.0.5:2376', tls })).toMatchObject({ protocol: 'https', host: '10.0.0.5', port: 2376, ca: 'CA', cert: 'CERT', key: 'KEY' });
    const seen: string[] = [];
    const opts = dockerOptionsFor({ url: 'ssh://ops@10.0.0.6', ssh: { privateKey: 'PRIVATE' }, verifyHostKey: (f) => (seen.push(f), f === 'SHA256:x') }) as { agent: SshDialAgent };
    const connect = opts.agent.connect as { privateKey: string; hostVerifier: (k: Buffer) => boolean };
    expect(opts.agent.connect).toMatchObject({ host: '10.0.0.6', port: 22, username: 'ops' });
    expect(connect.privateKey).toBe('PRIVATE');
    expect(connect.hostVerifier(Buffer.from('key'))).toBe(false);
    // ssh-keygen -l prints SHA256 of the key blob in unpadded base64.
    expect(seen).toEqual([hostKeyFingerprint(Buffer.from('key'))]);
    expect(seen[0]).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
