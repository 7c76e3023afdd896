import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/server/env.js';

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.host).toBe('127.0.0.1');
    expect(c.dataDir).toBe(path.resolve('./data'));
    expect(c.databaseUrl).toBe(`file:${path.resolve('./data/capstan.db')}`);
    expect(c.projectsDir).toBe(path.resolve('./data/projects'));
    expect(c.jobsDatabaseUrl).toBeUndefined();
    expect(c.docker).toEqual({ host: 'unix:///var/run/docker.sock', tlsVerify: false, certPath: undefined });
    expect(c.admin).toBeUndefined();
    expect(c.auditRetentionDays).toBe(90);
  });

  it('derives the database URL from the data dir and treats empty values as unset', () => {
    const c = loadConfig({ CAPSTAN_DATA_DIR: '/srv/capstan', PORT: '', DOCKER_TLS_VERIFY: '' });
    expect(c.databaseUrl).toBe('file:/srv/capstan/capstan.db');
    expect(c.projectsDir).toBe('/srv/capstan/projects');
    expect(loadConfig({ CAPSTAN_PROJECTS_DIR: 'rel/projects' }).projectsDir).toBe(path.resolve('rel/projects'));
    expect(c.port).toBe(8080);
    expect(c.docker.tlsVerify).toBe(false);
  });

  it('reads every variable', () => {
    const c = loadConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      CAPSTAN_DATABASE_URL: 'libsql://db.example:8080',
      CAPSTAN_DATABASE_AUTH_TOKEN: 'tok',
      CAPSTAN_JOBS_DATABASE_URL: 'postgres://u:p@127.0.0.1/jobs',
      DOCKER_HOST: 'tcp://127.0.0.1:2376',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: '/certs',
      CAPSTAN_ADMIN_USERNAME: 'root',
      CAPSTAN_ADMIN_PASSWORD: 'longenough',
      CAPSTAN_AUDIT_RETENTION_DAYS: '30',
      CAPSTAN_UPDATE_CHECK_HOURS: '0.5',
    });
    expect(c).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      databaseUrl: 'libsql://db.example:8080',
      databaseAuthToken: 'tok',
      jobsDatabaseUrl: 'postgres://u:p@127.0.0.1/jobs',
      docker: { host: 'tcp://127.0.0.1:2376', tlsVerify: true, certPath: '/certs' },
      admin: { username: 'root', password: 'longenough' },
      auditRetentionDays: 30,
      updateCheckHours: 0.5,
    });
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['CAPSTAN_DATABASE_URL', { CAPSTAN_DATABASE_URL: 'mysql://x' }],
    ['CAPSTAN_JOBS_DATABASE_URL', { CAPSTAN_JOBS_DATABASE_URL: 'redis://x' }],
    ['DOCKER_HOST', { DOCKER_HOST: '/var/run/docker.sock' }],
    ['CAPSTAN_AUDIT_RETENTION_DAYS', { CAPSTAN_AUDIT_RETENTION_DAYS: '0' }],
    ['CAPSTAN_UPDATE_CHECK_HOURS', { CAPSTAN_UPDATE_CHECK_HOURS: '-1' }],
    ['CAPSTAN_UPDATE_CHECK_HOURS', { CAPSTAN_UPDATE_CHECK_HOURS: 'often' }],
    ['CAPSTAN_ADMIN_PASSWORD', { CAPSTAN_ADMIN_USERNAME: 'root' }],
    ['CAPSTAN_ADMIN_PASSWORD', { CAPSTAN_ADMIN_USERNAME: 'root', CAPSTAN_ADMIN_PASSWORD: 'short' }],
    ['CAPSTAN_ADMIN_USERNAME', { CAPSTAN_ADMIN_USERNAME: 'bad name!', CAPSTAN_ADMIN_PASSWORD: 'longenough' }],
  ])('a bad %s names the variable', (name, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`${name}:`));
  });
});
