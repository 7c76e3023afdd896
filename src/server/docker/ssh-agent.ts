import http from 'node:http';
import type { Duplex } from 'node:stream';
import ssh2, { type ConnectConfig } from 'ssh2';

/** Idle connections are kept this long for the next request, then closed. */
const IDLE_MS = 30_000;
/** At most this many idle connections per engine. */
const MAX_IDLE = 4;

/**
 * What Node's HTTP agent calls on a socket it keeps alive; an ssh channel has
 * none of them (it is a plain Duplex), and a missing one would throw inside
 * the agent. The idle timer is the agent's own: it destroys a free socket
 * that timed out.
 */
function asSocket(channel: Duplex): Duplex {
  let timer: NodeJS.Timeout | undefined;
  const socket = channel as Duplex & Record<string, unknown>;
  socket.setKeepAlive = () => socket;
  socket.setNoDelay = () => socket;
  socket.ref = () => socket;
  socket.unref = () => socket;
  // As net.Socket#setTimeout: 0 turns the timer (and that callback) off.
  socket.setTimeout = (ms: number, onTimeout?: () => void) => {
    clearTimeout(timer);
    if (ms === 0) {
      if (onTimeout) socket.removeListener('timeout', onTimeout);
      return socket;
    }
    if (onTimeout) socket.once('timeout', onTimeout);
    timer = setTimeout(() => socket.emit('timeout'), ms).unref();
    return socket;
  };
  channel.once('close', () => clearTimeout(timer));
  return channel;
}

/**
 * The Engine API over ssh as the docker CLI reaches it: an ssh connection
 * that runs `docker system dial-stdio` on the host, whose stdin and stdout
 * are the HTTP connection. docker-modem's own ssh transport opens one for
 * every request (a handshake and a process start each time, ~400 ms here);
 * this agent keeps them alive between requests, as HTTP keep-alive does
 * for tcp, so a request on an idle connection costs one round trip.
 * Each connection is its own ssh session (sshd limits channels per session,
 * and a long-lived stream, events or stats, holds its connection).
 */
export class SshDialAgent extends http.Agent {
  constructor(readonly connect: ConnectConfig) {
    super({ keepAlive: true, maxFreeSockets: MAX_IDLE, timeout: IDLE_MS });
  }

  override createConnection(_options: unknown, done: (err: Error | null, socket?: Duplex) => void): undefined {
    const client = new ssh2.Client();
    let socket: Duplex | undefined;
    let settled = false;
    const fail = (err: Error) => {
      client.end();
      if (settled) return;
      settled = true;
      done(err);
    };
    // Before the handoff a failure is the connection's; after it, the HTTP request's (the socket's 'error').
    client.on('error', (err) => (socket ? socket.destroy(err) : fail(err)));
    client.once('ready', () => {
      // Requests and answers are small writes back and forth: Nagle's algorithm would hold each for a delayed ACK (~40 ms).
      client.setNoDelay(true);
      client.exec('docker system dial-stdio', (err, channel) => {
        if (err) return fail(err);
        settled = true;
        socket = asSocket(channel);
        channel.once('close', () => client.end());
        done(null, socket);
      });
    });
    try {
      client.connect(this.connect);
    } catch (err) {
      // ssh2 throws at once on options it cannot use (a key it cannot parse).
      fail(err as Error);
    }
    return undefined;
  }
}
