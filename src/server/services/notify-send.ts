import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import { CapstanError } from '../errors.js';
import type { ChannelTarget } from './notify-url.js';

/** What a channel is told: plain words, never an environment value, password or token. */
export interface NotifyMessage {
  /** The event's name, e.g. `deployment.failed` (CONTRACT.md's notification events). */
  event: string;
  title: string;
  body: string;
  /** `error` and `warning` colour a chat message and raise a push's priority. */
  severity: 'info' | 'warning' | 'error';
  at: string;
  service?: { id: string; name: string };
  deployment_id?: string;
}

/**
 * Where the hosted services live. Tests point these at a local receiver
 * (Config.limits); nothing else ever changes them.
 */
export interface NotifyEndpoints {
  discord: string;
  slack: string;
}
export const DEFAULT_ENDPOINTS: NotifyEndpoints = { discord: 'https://discord.com', slack: 'https://hooks.slack.com' };

const TIMEOUT_MS = 15_000;
const COLORS = { info: 0x2e7d32, warning: 0xf9a825, error: 0xc62828 };

/** The channel refused or could not be reached: said without its URL, which holds its credentials. */
const failed = (details: string, cause?: unknown) => new CapstanError('SERVICE_UNAVAILABLE', 'The notification channel did not accept the message', { details, cause });

async function post(url: string, body: string, headers: Record<string, string>): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body, headers, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} s` : 'the receiver could not be reached';
    throw failed(reason, err);
  }
  // Drain the answer so the connection can be reused; its text may echo what we sent, so it is not kept.
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw failed(`the receiver answered HTTP ${res.status}`);
}

const json = (value: unknown): [string, Record<string, string>] => [JSON.stringify(value), { 'Content-Type': 'application/json' }];
const join = (base: string, path: string) => `${base.replace(/\/+$/, '')}/${path}`;
const pushPriority = (m: NotifyMessage, fallback: number | undefined, high: number, normal: number) => fallback ?? (m.severity === 'error' ? high : normal);

/** Sends one message to one channel; resolves once the channel accepted it. */
export async function deliver(target: ChannelTarget, m: NotifyMessage, endpoints: NotifyEndpoints = DEFAULT_ENDPOINTS): Promise<void> {
  switch (target.kind) {
    case 'generic': {
      const [body, headers] = json(m);
      if (target.secret) headers['X-Capstan-Signature-256'] = `sha256=${createHmac('sha256', target.secret).update(body).digest('hex')}`;
      return post(target.url, body, { ...headers, ...target.headers });
    }
    case 'ntfy': {
      // ntfy's JSON publishing: POST to the server's root with the topic in the body.
      const [body, headers] = json({
        topic: target.topic,
        title: m.title,
        message: m.body,
        priority: pushPriority(m, target.priority, 4, 3),
        tags: target.tags.length ? target.tags : [m.severity === 'error' ? 'rotating_light' : m.severity === 'warning' ? 'warning' : 'white_check_mark'],
      });
      return post(target.base, body, target.authorization ? { ...headers, Authorization: target.authorization } : headers);
    }
    case 'gotify': {
      const [body, headers] = json({ title: m.title, message: m.body, priority: pushPriority(m, target.priority, 8, 5) });
      return post(join(target.base, 'message'), body, { ...headers, 'X-Gotify-Key': target.token });
    }
    case 'discord': {
      const [body, headers] = json({
        username: 'Capstan',
        embeds: [{ title: m.title.slice(0, 256), description: m.body.slice(0, 4000), color: COLORS[m.severity], timestamp: m.at }],
      });
      return post(join(endpoints.discord, `api/webhooks/${target.id}/${encodeURIComponent(target.token)}`), body, headers);
    }
    case 'slack': {
      const [body, headers] = json({ text: `*${m.title}*\n${m.body}` });
      return post(join(endpoints.slack, `services/${target.path}`), body, headers);
    }
    case 'smtp':
      return sendMail(target, m);
  }
}

async function sendMail(target: Extract<ChannelTarget, { kind: 'smtp' }>, m: NotifyMessage): Promise<void> {
  const transport = nodemailer.createTransport({
    host: target.host,
    port: target.port,
    secure: target.encryption === 'implicit',
    requireTLS: target.encryption === 'starttls',
    ignoreTLS: target.encryption === 'none',
    auth: target.auth,
    // The EHLO name: the machine's own name is nobody's business.
    name: 'localhost',
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
  });
  try {
    await transport.sendMail({ from: target.from, to: target.to, subject: target.subject ? `${target.subject}: ${m.title}` : m.title, text: m.body });
  } catch (err) {
    const code = (err as { responseCode?: number; code?: string }).responseCode ?? (err as { code?: string }).code;
    throw failed(`the mail server refused the message${code ? ` (${code})` : ''}`, err);
  } finally {
    transport.close();
  }
}
