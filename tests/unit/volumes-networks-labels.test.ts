import { describe, expect, it } from 'vitest';
import { describeUsers, matchesLabels, ownership } from '../../src/server/services/volumes-networks.js';
import type { ServiceRow } from '../../src/server/services/service-store.js';

const row = (id: string, name: string, adopted: boolean) => ({ id, name, adopted }) as unknown as ServiceRow;

describe('volume and network ownership by labels', () => {
  const services = [row('svc1', 'shop', false), row('svc2', 'legacy', true)];

  it('a Capstan stamp names its service, whatever the project says', () => {
    expect(ownership({ 'io.capstan.service-id': 'svc1', 'com.docker.compose.project': 'shop' }, services)).toEqual({ managed: true, service_id: 'svc1', project: 'shop' });
  });

  it('a compose project counts only for an adopted service of that name', () => {
    expect(ownership({ 'com.docker.compose.project': 'legacy' }, services)).toEqual({ managed: true, service_id: 'svc2', project: 'legacy' });
    // shop was created by Capstan: an unstamped object with its project name was made by someone else.
    expect(ownership({ 'com.docker.compose.project': 'shop' }, services)).toEqual({ managed: false, service_id: null, project: 'shop' });
  });

  it('no labels: foreign', () => {
    expect(ownership({}, services)).toEqual({ managed: false, service_id: null, project: null });
  });
});

describe('label filters, as the engine reads them', () => {
  const labels = { tier: 'db', 'com.example.keep': '', team: 'a=b' };
  it.each([
    [[], true],
    [['tier'], true],
    [['tier=db'], true],
    [['tier=web'], false],
    [['missing'], false],
    [['com.example.keep'], true],
    [['com.example.keep='], true],
    [['team=a=b'], true],
    [['tier=db', 'missing'], false],
  ])('%j matches: %s', (filters, expected) => {
    expect(matchesLabels(labels, filters as string[])).toBe(expected);
  });
});

describe('the users a 409 names', () => {
  it('groups containers by service and lists foreign ones after', () => {
    const user = (name: string, service_name: string | null) => ({ id: name, name, state: 'running', service_id: service_name, service_name });
    expect(describeUsers([user('shop-web-1', 'shop'), user('stray', null), user('shop-db-1', 'shop'), user('other', null)])).toBe(
      'service shop (containers shop-web-1, shop-db-1); containers stray, other',
    );
    expect(describeUsers([user('x', null)])).toBe('container x');
  });
});
