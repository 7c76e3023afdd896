import { describe, expect, it } from 'vitest';
import { maskChannelUrl, parseChannelUrl } from '../../src/server/services/notify-url.js';

describe('notification channel URLs', () => {
  it('reads each scheme into its target', () => {
    expect(parseChannelUrl('ntfy://u:p@ntfy.example/base/alerts?priority=high&tags=a,b')).toEqual({
      kind: 'ntfy',
      base: 'https://ntfy.example/base',
      topic: 'alerts',
      authorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
      priority: 4,
      tags: ['a', 'b'],
    });
    expect(parseChannelUrl('gotify://push.example/AbC')).toEqual({ kind: 'gotify', base: 'https://push.example/', token: 'AbC', priority: undefined });
    expect(parseChannelUrl('discord://tok@123456789')).toEqual({ kind: 'discord', id: '123456789', token: 'tok' });
    expect(parseChannelUrl('slack://T1/B2/C3')).toEqual({ kind: 'slack', path: 'T1/B2/C3' });
    expect(parseChannelUrl('generic+https://hooks.example/in?x=1')).toEqual({ kind: 'generic', url: 'https://hooks.example/in?x=1', headers: {}, secret: undefined });
    expect(parseChannelUrl('smtp://mail.example:465/?from=a@x.test&to=b@x.test')).toMatchObject({ kind: 'smtp', port: 465, encryption: 'implicit', auth: undefined });
    expect(parseChannelUrl('smtp://mail.example:587/?from=a@x.test&to=b@x.test&usestarttls=yes')).toMatchObject({ encryption: 'starttls', port: 587 });
    expect(parseChannelUrl('smtp://mail.example/?from=a@x.test&to=b@x.test')).toMatchObject({ encryption: 'auto', port: 25 });
  });

  it.each([
    ['not a url at all', /not a URL/],
    ['ftp://secret@host/x', /scheme must be one of/],
    ['ntfy://host', /needs a topic/],
    ['gotify://host', /needs an application token/],
    ['discord://123456789', /discord:\/\/token@webhook-id/],
    ['slack://T1/B2', /three parts/],
    ['smtp://mail.example/?to=b@x.test', /needs \?from/],
    ['smtp://mail.example/?from=a@x.test', /needs \?to/],
    ['smtp://mail.example/?from=nobody&to=b@x.test', /e-mail addresses/],
    ['ntfy://host/t?priority=9', /priority/],
  ])('%s is a 400 saying what is wrong', (url, why) => {
    expect(() => parseChannelUrl(url)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', details: expect.stringMatching(why) }));
  });

  it('never quotes the URL in an error', () => {
    try {
      parseChannelUrl('smtp://user:topsecret@mail.example/?from=bad&to=b@x.test');
      expect.unreachable();
    } catch (err) {
      expect(JSON.stringify({ m: (err as Error).message, d: (err as { details?: string }).details })).not.toContain('topsecret');
    }
  });

  it('masks every credential', () => {
    const cases: [string, string][] = [
      ['ntfy://u:pw123@host/t', 'pw123'],
      ['ntfy://:tok123@host/t', 'tok123'],
      ['gotify://host/sub/Tok123?disabletls=yes', 'Tok123'],
      ['discord://Tok123@123456789', 'Tok123'],
      ['slack://T1/B2/Sec123', 'Sec123'],
      ['generic+https://u:pw123@h/x?secret=s3c&@Authorization=Bearer+abc', 'pw123'],
      ['smtp://u:pw123@mail/?from=a@x.test&to=b@x.test', 'pw123'],
    ];
    for (const [url, secret] of cases) {
      const masked = maskChannelUrl(url);
      expect(masked, url).not.toContain(secret);
      expect(masked).toContain('••••');
    }
    expect(maskChannelUrl('generic+https://h/x?secret=s3c&@Authorization=Bearer+abc')).not.toMatch(/s3c|abc/);
    expect(maskChannelUrl('ntfy://u:pw@host/topic')).toBe('ntfy://u:••••@host/topic');
  });
});
