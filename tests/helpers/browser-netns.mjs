// Runs inside a network namespace of its own (`unshare --net`), then starts Chromium there.
// Chromium cancels every request in flight when the host's interfaces change (ERR_NETWORK_CHANGED),
// and the test engine adds and removes bridges and veths all the time; in here nothing changes.
// The pages still reach the servers under test: for each `port=socket` pair in CAPSTAN_NETNS_FORWARD,
// 127.0.0.1:port in here is joined byte for byte to a Unix socket the test process serves on the host.
// Usage: node browser-netns.mjs <chromium> [args...]; fds 3 and 4 (Playwright's pipe) pass through.
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';

execFileSync('ip', ['link', 'set', 'lo', 'up']);

const pairs = (process.env.CAPSTAN_NETNS_FORWARD ?? '').split(',').filter(Boolean).map((p) => p.split('='));
await Promise.all(
  pairs.map(
    ([port, socket]) =>
      new Promise((resolve, reject) => {
        const server = net.createServer((client) => {
          const upstream = net.connect(socket);
          client.pipe(upstream).pipe(client);
          const done = () => {
            client.destroy();
            upstream.destroy();
          };
          for (const s of [client, upstream]) {
            s.on('error', done);
            s.on('close', done);
          }
        });
        server.once('error', reject);
        server.listen(Number(port), '127.0.0.1', () => resolve(undefined));
      }),
  ),
);

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: [0, 1, 2, 3, 4] });
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
