import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One request a receiver got, as it arrived. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A local HTTP server that records every request: the stand-in for ntfy,
 * gotify, Discord, Slack or any webhook receiver, on 127.0.0.1. `failNext`
 * makes it answer 500 to that many requests first (a flaky receiver).
 */
export interface HttpReceiver {
  url: string;
  port: number;
  received: Received[];
  failNext(n: number, status?: number): void;
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const received: Received[] = [];
  let failures = 0;
  let failStatus = 500;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (failures > 0) {
        failures--;
        res.statusCode = failStatus;
        return void res.end('{"error":"try again"}');
      }
      res.setHeader('Content-Type', 'application/json');
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    failNext(n, status = 500) {
      failures = n;
      failStatus = status;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface Mail {
  from: string;
  to: string[];
  /** The whole message as sent (headers and body). */
  raw: string;
  auth: { user: string; pass: string } | undefined;
}

/** A local SMTP server (the `smtp-server` package) that accepts and records every message; plain, no TLS. */
export interface SmtpReceiver {
  port: number;
  mails: Mail[];
  close(): Promise<void>;
}

export async function startSmtpReceiver(opts: { user?: string; pass?: string } = {}): Promise<SmtpReceiver> {
  const mails: Mail[] = [];
  const sessions = new Map<string, { user: string; pass: string }>();
  const server = new SMTPServer({
    disabledCommands: opts.user ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !opts.user,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, session, done) {
      if (auth.username === opts.user && auth.password === opts.pass) {
        sessions.set(session.id, { user: auth.username ?? '', pass: auth.password ?? '' });
        return done(null, { user: auth.username });
      }
      done(new Error('Invalid username or password'));
    },
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          auth: sessions.get(session.id),
        });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
