import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapstanError } from '../../src/server/errors.js';
import { deliver, type NotifyMessage } from '../../src/server/services/notify-send.js';
import { parseChannelUrl } from '../../src/server/services/notify-url.js';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from '../helpers/receivers.js';

/**
 * Every channel kind against a real receiver on 127.0.0.1, checked against
 * the payload each service's API documents: ntfy's JSON publishing, gotify's
 * POST /message, Discord's and Slack's incoming webhooks, a generic JSON
 * POST with its signature, and SMTP through the smtp-server package.
 */
let http: HttpReceiver;
let smtp: SmtpReceiver;
const endpoints = () => ({ discord: http.url, slack: http.url });

const message: NotifyMessage = {
  event: 'deployment.failed',
  title: 'blog: deployment failed',
  body: 'web: image 127.0.0.1:5055/nothing:1 not found',
  severity: 'error',
  at: '2026-12-02T03:00:00.000Z',
  service: { id: 'k3v9q2', name: 'blog' },
  deployment_id: 'dep123',
};

const last = () => {
  const r = http.received.at(-1)!;
  return { ...r, json: JSON.parse(r.body) as Record<string, unknown> };
};

beforeAll(async () => {
  http = await startHttpReceiver();
  smtp = await startSmtpReceiver({ user: 'mailer', pass: 'mail-pass-1' });
});
afterAll(async () => {
  await http?.close();
  await smtp?.close();
});

describe('notification channels against real receivers', () => {
  it('generic+http: the message as JSON, signed with HMAC-SHA256 when a secret is set, headers from @Name', async () => {
    await deliver(parseChannelUrl(`generic+${http.url}/hooks/capstan?secret=sign-me&@X-Team=ops&source=capstan`), message);
    const r = last();
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/hooks/capstan?source=capstan');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['x-team']).toBe('ops');
    expect(r.json).toEqual(message);
    const expected = `sha256=${createHmac('sha256', 'sign-me').update(r.body).digest('hex')}`;
    expect(r.headers['x-capstan-signature-256']).toBe(expected);
  });

  it('ntfy: JSON publishing to the server root with topic, title, message, priority and tags; a token as Bearer', async () => {
    await deliver(parseChannelUrl(`ntfy://:tk_secret@127.0.0.1:${http.port}/capstan-alerts?scheme=http`), message);
    const r = last();
    expect(r.url).toBe('/');
    expect(r.headers.authorization).toBe('Bearer tk_secret');
    expect(r.json).toEqual({ topic: 'capstan-alerts', title: message.title, message: message.body, priority: 4, tags: ['rotating_light'] });
  });

  it('gotify: POST /message with the application token in X-Gotify-Key', async () => {
    await deliver(parseChannelUrl(`gotify://127.0.0.1:${http.port}/gotify/AppToken123?disabletls=yes&priority=7`), { ...message, severity: 'info' });
    const r = last();
    expect(r.url).toBe('/gotify/message');
    expect(r.headers['x-gotify-key']).toBe('AppToken123');
    expect(r.json).toEqual({ title: message.title, message: message.body, priority: 7 });
  });

  it('discord: an incoming webhook with one embed', async () => {
    await deliver(parseChannelUrl('discord://hook-token_1@112233445566778899'), message, endpoints());
    const r = last();
    expect(r.url).toBe('/api/webhooks/112233445566778899/hook-token_1');
    expect(r.json).toEqual({
      username: 'Capstan',
      embeds: [{ title: message.title, description: message.body, color: 0xc62828, timestamp: message.at }],
    });
  });

  it('slack: an incoming webhook with the text', async () => {
    await deliver(parseChannelUrl('slack://T0001/B0002/XXXXXXXX'), message, endpoints());
    const r = last();
    expect(r.url).toBe('/services/T0001/B0002/XXXXXXXX');
    expect(r.json).toEqual({ text: `*${message.title}*\n${message.body}` });
  });

  it('smtp: one mail from and to the URL\'s addresses, authenticated, subject from the title', async () => {
    const before = smtp.mails.length;
    await deliver(
      parseChannelUrl(`smtp://mailer:mail-pass-1@127.0.0.1:${smtp.port}/?from=capstan@example.test&to=ops@example.test,oncall@example.test&encryption=None&subject=Capstan`),
      message,
    );
    expect(smtp.mails.length).toBe(before + 1);
    const mail = smtp.mails.at(-1)!;
    expect(mail.from).toBe('capstan@example.test');
    expect(mail.to).toEqual(['ops@example.test', 'oncall@example.test']);
    expect(mail.auth).toEqual({ user: 'mailer', pass: 'mail-pass-1' });
    expect(mail.raw).toMatch(/^Subject: Capstan: blog: deployment failed$/m);
    expect(mail.raw).toContain(message.body);
  });

  it('a refusal is an error that names the status and never the URL or its credentials', async () => {
    http.failNext(1, 503);
    const err = await deliver(parseChannelUrl(`ntfy://user:hunter2-pass@127.0.0.1:${http.port}/t?scheme=http`), message).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CapstanError);
    const text = JSON.stringify({ message: (err as CapstanError).message, details: (err as CapstanError).details });
    expect(text).toContain('503');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(String(http.port));
  });

  it('a wrong SMTP password and an unreachable receiver are errors too', async () => {
    const wrong = deliver(parseChannelUrl(`smtp://mailer:wrong@127.0.0.1:${smtp.port}/?from=a@example.test&to=b@example.test&encryption=None`), message);
    await expect(wrong).rejects.toThrow(/did not accept/);
    const closed = await startHttpReceiver();
    await closed.close();
    await expect(deliver(parseChannelUrl(`generic+${closed.url}/x`), message)).rejects.toMatchObject({ details: 'the receiver could not be reached' });
  });
});
