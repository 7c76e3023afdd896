// Ports as compose reads them: the short syntax as Docker's nat.ParsePortSpec
// splits it (a container range becomes one entry per port; a host range bound
// to one container port stays a range), and the long syntax.
import type { ComposePort } from './model.js';
import { ComposeValueError, parseInteger } from './parse-units.js';

const FORMAT = 'expected "[host_ip:][host_port:]container_port[/tcp|udp|sctp]", e.g. "8080:80"';
const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
type Protocol = (typeof PROTOCOLS)[number];

const fail = (message: string): never => {
  throw new ComposeValueError(message);
};

export function isIPv4(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255);
}

export function isIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false;
  let text = s;
  // An embedded IPv4 tail (::ffff:1.2.3.4) stands for two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return false;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => (half === '' ? [] : half.split(':')));
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? groups.length <= 7 : groups.length === 8;
}

export const isIP = (s: string): boolean => isIPv4(s) || isIPv6(s);

interface Range {
  start: number;
  end: number;
}

function portRange(text: string, what: 'host port' | 'container port'): Range {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) {
    return fail(text === '' ? `missing ${what}; ${FORMAT}` : `${what} "${text}" is not a number or a range; ${FORMAT}`);
  }
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  for (const n of [start, end]) {
    if (n < 1 || n > 65535) fail(`${what} must be between 1 and 65535, got ${n}`);
  }
  if (end < start) fail(`${what} range "${text}" ends before it starts`);
  return { start, end };
}

function protocolOf(text: string): Protocol {
  const p = text.toLowerCase();
  if (!(PROTOCOLS as readonly string[]).includes(p)) fail(`unsupported protocol "${text}"; use tcp, udp or sctp`);
  return p as Protocol;
}

function hostIp(raw: string): string {
  const ip = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  if (!isIP(ip)) fail(`"${raw}" is not a valid IP address`);
  return ip;
}

/** Pairs a container range with a host range as Docker does. */
function expand(container: Range, host: Range | undefined, base: Omit<ComposePort, 'target'>): ComposePort[] {
  const count = container.end - container.start;
  if (host && host.end - host.start !== count && count !== 0) {
    fail(`the host range and the container range must have the same size`);
  }
  const out: ComposePort[] = [];
  for (let i = 0; i <= count; i++) {
    const port: ComposePort = { target: container.start + i, ...base };
    if (host) {
      port.published = count === 0 && host.end !== host.start ? `${host.start}-${host.end}` : String(host.start + i);
    }
    out.push(port);
  }
  return out;
}

/** `[host_ip:][host_port:]container_port[/proto]`, or a bare number. */
export function parseShortPort(spec: string | number): ComposePort[] {
  const text = String(spec);
  if (text === '') fail(`empty port; ${FORMAT}`);
  if (/\s/.test(text)) fail(`port "${text}" must not contain spaces`);
  let rest = text;
  let protocol: Protocol = 'tcp';
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const proto = rest.slice(slash + 1);
    if (proto !== '') protocol = protocolOf(proto);
    rest = rest.slice(0, slash);
  }
  const parts = rest.split(':');
  const containerText = parts.pop() as string;
  const hostText = parts.length > 0 ? (parts.pop() as string) : undefined;
  // Whatever is left is the address: "[::1]", "127.0.0.1", or an IPv6 address without brackets.
  const ipText = parts.length > 0 ? parts.join(':') : undefined;
  const base: Omit<ComposePort, 'target'> = { protocol };
  // An empty address or host port means "every address" / "any free port", as in Docker's
  // nat.ParsePortSpec: "${BIND:-}:443:443" with BIND unset is common.
  if (ipText !== undefined && ipText !== '') base.host_ip = hostIp(ipText);
  const container = portRange(containerText, 'container port');
  const host = hostText === undefined || hostText === '' ? undefined : portRange(hostText, 'host port');
  return expand(container, host, base);
}

const LONG_KEYS = ['target', 'published', 'host_ip', 'protocol', 'mode', 'name', 'app_protocol'];

/** The long syntax, already checked to be a map; unknown keys are reported by the caller's schema. */
export function parseLongPort(entry: Record<string, unknown>): ComposePort[] {
  for (const key of Object.keys(entry)) {
    if (!LONG_KEYS.includes(key) && !key.startsWith('x-')) fail(`unknown key "${key}"`);
  }
  if (entry.target === undefined || entry.target === null) fail('target is required: the container port');
  const target = portRange(String(parseInteger(entry.target, 'a port number')), 'container port');
  const base: Omit<ComposePort, 'target'> = { protocol: 'tcp' };
  if (entry.protocol !== undefined) {
    if (typeof entry.protocol !== 'string') fail('protocol must be tcp, udp or sctp');
    base.protocol = protocolOf(entry.protocol as string);
  }
  if (entry.host_ip !== undefined) {
    if (typeof entry.host_ip !== 'string') fail('host_ip must be an IP address');
    base.host_ip = hostIp(entry.host_ip as string);
  }
  for (const key of ['mode', 'name', 'app_protocol'] as const) {
    const v = entry[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') fail(`${key} must be a string`);
    base[key] = v as string;
  }
  if (base.mode !== undefined && base.mode !== 'host' && base.mode !== 'ingress') fail('mode must be "host" or "ingress"');
  let host: Range | undefined;
  const published = entry.published;
  if (published !== undefined && published !== null && published !== '') {
    if (typeof published !== 'string' && typeof published !== 'number') fail('published must be a port or a range');
    host = portRange(String(published), 'host port');
  }
  return expand(target, host, base);
}
