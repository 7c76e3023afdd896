import { CapstanError } from '../errors.js';

/**
 * Notification channels are configured by one URL each, in the shape people
 * know from shoutrrr and Apprise. The URL holds the credentials, so it is
 * sealed at rest, masked in every answer, and never put in an error.
 */
export type ChannelTarget =
  | { kind: 'generic'; url: string; headers: Record<string, string>; secret: string | undefined }
  | { kind: 'ntfy'; base: string; topic: string; authorization: string | undefined; priority: number | undefined; tags: string[] }
  | { kind: 'gotify'; base: string; token: string; priority: number | undefined }
  | { kind: 'discord'; id: string; token: string }
  | { kind: 'slack'; path: string }
  | {
      kind: 'smtp';
      host: string;
      port: number;
      /** implicit: TLS from the first byte (465); starttls: must upgrade; none: plain; auto: upgrade when offered. */
      encryption: 'implicit' | 'starttls' | 'none' | 'auto';
      auth: { user: string; pass: string } | undefined;
      from: string;
      to: string[];
      subject: string | undefined;
    };

export type ChannelKind = ChannelTarget['kind'];
export const CHANNEL_SCHEMES = ['generic+https', 'generic+http', 'ntfy', 'gotify', 'discord', 'slack', 'smtp'] as const;

const MASK = '••••';
const invalid = (details: string) => new CapstanError('BAD_REQUEST', 'Invalid notification URL', { details: `url: ${details}` });

function parseUrl(text: string): URL {
  if (text.length > 2048) throw invalid('longer than 2048 characters');
  try {
    return new URL(text);
  } catch {
    // Never echo the text: it may hold a password.
    throw invalid('not a URL');
  }
}

const param = (u: URL, ...names: string[]) => {
  for (const n of names) for (const [k, v] of u.searchParams) if (k.toLowerCase() === n) return v;
  return undefined;
};
const decoded = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalid('a part is not valid percent-encoding');
  }
};
const segments = (u: URL) => u.pathname.split('/').filter(Boolean).map(decoded);
const yes = (v: string | undefined) => v !== undefined && ['yes', 'true', '1', 'on'].includes(v.toLowerCase());

function priorityOf(u: URL, min: number, max: number): number | undefined {
  const raw = param(u, 'priority');
  if (raw === undefined) return undefined;
  const names: Record<string, number> = { min: 1, low: 2, default: 3, high: 4, max: 5, urgent: 5 };
  const n = names[raw.toLowerCase()] ?? Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(`priority must be a whole number from ${min} to ${max}`);
  return n;
}

function hostOf(u: URL, what: string): string {
  if (!u.hostname) throw invalid(`${what} needs a host`);
  return u.host;
}

/** The target a channel URL names; a 400 saying which part is wrong, never quoting the URL. */
export function parseChannelUrl(text: string): ChannelTarget {
  const u = parseUrl(text.trim());
  const scheme = u.protocol.slice(0, -1).toLowerCase();
  switch (scheme) {
    case 'generic+https':
    case 'generic+http': {
      hostOf(u, 'a generic URL');
      const headers: Record<string, string> = {};
      const target = new URL(`${scheme.slice('generic+'.length)}://${u.host}${u.pathname}`);
      let secret: string | undefined;
      for (const [k, v] of u.searchParams) {
        // shoutrrr's convention: "@Name=value" is a header; "secret" signs the body; the rest stays on the URL.
        if (k.startsWith('@') && k.length > 1) headers[k.slice(1)] = v;
        else if (k.toLowerCase() === 'secret') secret = v;
        else target.searchParams.append(k, v);
      }
      if (u.username || u.password) headers.Authorization = `Basic ${Buffer.from(`${decoded(u.username)}:${decoded(u.password)}`).toString('base64')}`;
      return { kind: 'generic', url: target.toString(), headers, secret };
    }
    case 'ntfy': {
      const host = hostOf(u, 'an ntfy URL');
      const path = segments(u);
      const topic = path.pop();
      if (!topic) throw invalid('an ntfy URL needs a topic: ntfy://host/topic');
      const wire = (param(u, 'scheme') ?? 'https').toLowerCase();
      if (wire !== 'http' && wire !== 'https') throw invalid('scheme must be http or https');
      const user = decoded(u.username);
      const pass = decoded(u.password);
      const authorization = !user && !pass ? undefined : !user ? `Bearer ${pass}` : `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      const tags = (param(u, 'tags') ?? '').split(',').map((t) => t.trim()).filter(Boolean);
      return { kind: 'ntfy', base: `${wire}://${host}/${path.map(encodeURIComponent).join('/')}`, topic, authorization, priority: priorityOf(u, 1, 5), tags };
    }
    case 'gotify': {
      const host = hostOf(u, 'a gotify URL');
      const path = segments(u);
      const token = path.pop();
      if (!token) throw invalid('a gotify URL needs an application token: gotify://host/token');
      const wire = yes(param(u, 'disabletls')) ? 'http' : 'https';
      return { kind: 'gotify', base: `${wire}://${host}/${path.map(encodeURIComponent).join('/')}`, token, priority: priorityOf(u, 0, 10) };
    }
    case 'discord': {
      // discord://token@webhook-id, as shoutrrr writes it.
      const token = decoded(u.username);
      const id = u.hostname;
      if (!token || !/^\d{5,30}$/.test(id)) throw invalid('a discord URL is discord://token@webhook-id');
      return { kind: 'discord', id, token };
    }
    case 'slack': {
      // slack://T000/B000/XXXX: the three parts of an incoming webhook's URL.
      const tokens = [u.hostname, ...segments(u)].filter(Boolean);
      if (tokens.length !== 3 || tokens.some((t) => !/^[A-Za-z0-9_]+$/.test(t))) throw invalid("a slack URL is slack://T000/B000/XXXX (the incoming webhook's three parts)");
      return { kind: 'slack', path: tokens.join('/') };
    }
    case 'smtp': {
      const host = u.hostname;
      if (!host) throw invalid('an smtp URL needs a host');
      const from = param(u, 'from', 'fromaddress');
      const to = (param(u, 'to', 'toaddresses') ?? '').split(',').map((t) => t.trim()).filter(Boolean);
      if (!from) throw invalid('an smtp URL needs ?from=address');
      if (!to.length) throw invalid('an smtp URL needs ?to=address[,address]');
      const address = /^[^\s@<>,]+@[^\s@<>,]+$/;
      for (const a of [from, ...to]) if (!address.test(a)) throw invalid('from and to must be e-mail addresses');
      const port = u.port ? Number(u.port) : 25;
      const encryptionParam = (param(u, 'encryption') ?? '').toLowerCase();
      const encryption =
        encryptionParam === 'implicittls' || port === 465 ? 'implicit'
        : encryptionParam === 'none' || param(u, 'usestarttls')?.toLowerCase() === 'no' ? 'none'
        : encryptionParam === 'explicittls' || yes(param(u, 'usestarttls')) ? 'starttls'
        : 'auto';
      const auth = u.username ? { user: decoded(u.username), pass: decoded(u.password) } : undefined;
      return { kind: 'smtp', host: host.replace(/^\[|\]$/g, ''), port, encryption, auth, from, to, subject: param(u, 'subject') };
    }
    default:
      throw invalid(`the scheme must be one of ${CHANNEL_SCHEMES.map((s) => `${s}://`).join(', ')}`);
  }
}

/** The URL as an answer may show it: every password, token, secret and header value replaced by a mask. */
export function maskChannelUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text.trim());
  } catch {
    return MASK;
  }
  const scheme = u.protocol.slice(0, -1).toLowerCase();
  if (u.password) u.password = MASK;
  if (u.username && (scheme === 'discord' || (scheme === 'ntfy' && !u.password))) u.username = MASK;
  if (scheme === 'slack') return `slack://${MASK}`;
  if (scheme === 'gotify') {
    const path = u.pathname.split('/');
    if (path.length > 1 && path[path.length - 1]) path[path.length - 1] = MASK;
    u.pathname = path.join('/');
  }
  const sensitive = /^(@.*|secret|token|password|pass|key|apikey|auth.*)$/i;
  for (const k of [...new Set(u.searchParams.keys())]) if (sensitive.test(k)) u.searchParams.set(k, MASK);
  // URL escapes the mask's bullets; show them as typed.
  return decodeURI(u.toString()).replaceAll('%40', '@');
}
