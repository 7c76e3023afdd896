import type { Socket } from 'node:net';

/** Joins two sockets byte for byte; when either ends or fails, both are destroyed and `onEnd` runs once. */
export function joinSockets(a: Socket, b: Socket, onEnd?: () => void): void {
  let ended = false;
  const done = () => {
    a.destroy();
    b.destroy();
    if (!ended) onEnd?.();
    ended = true;
  };
  a.pipe(b).pipe(a);
  for (const s of [a, b]) {
    s.on('error', done);
    s.on('close', done);
  }
}
