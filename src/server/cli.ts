import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './env.js';
import { CapstanError } from './errors.js';
import { createLogger } from './log.js';

/**
 * The admin CLI: `npm run capstan -- user add|passwd|list|remove`. Works on the
 * same data dir as the server, and may run while the server does.
 */
const USAGE = `usage: npm run capstan -- <command>
  user add NAME       create a user (password from stdin, or prompted)
  user passwd NAME    set a new password (ends that user's sessions)
  user list           list users
  user remove NAME    remove a user and end their sessions`;

async function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  }
  // Echo off: the prompt is written, the typed characters are not.
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  const ask = (q: string) =>
    new Promise<string>((resolve) => {
      process.stderr.write(q);
      muted = true;
      rl.question('', (answer) => {
        muted = false;
        process.stderr.write('\n');
        resolve(answer);
      });
    });
  try {
    const first = await ask(prompt);
    const again = await ask('Repeat password: ');
    if (first !== again) throw new CapstanError('BAD_REQUEST', 'Passwords do not match');
    return first;
  } finally {
    rl.close();
  }
}

export async function runCli(args: string[]): Promise<number> {
  const [group, command, name] = args;
  if (group !== 'user' || !command || (command !== 'list' && !name)) {
    process.stderr.write(`${USAGE}\n`);
    return 64;
  }
  const app = await createApp(loadConfig(), createLogger('warn'));
  const audit = (action: string, target: string) =>
    app.audit.record({ actor: 'cli', action, target, outcome: 'success' });
  try {
    switch (command) {
      case 'add': {
        const user = await app.users.add(name!, await readPassword(`Password for ${name}: `));
        await audit('user.create', `user:${user.id}`);
        process.stdout.write(`created user ${user.username}\n`);
        return 0;
      }
      case 'passwd': {
        const user = await app.users.setPassword(name!, await readPassword(`New password for ${name}: `));
        await audit('user.passwd', `user:${user.id}`);
        process.stdout.write(`password changed for ${name}; their sessions have ended\n`);
        return 0;
      }
      case 'list': {
        for (const u of await app.users.list()) {
          process.stdout.write(`${u.username}\t${u.id}\t${u.createdAt.toISOString()}\n`);
        }
        return 0;
      }
      case 'remove': {
        const user = await app.users.remove(name!);
        await audit('user.remove', `user:${user.id}`);
        process.stdout.write(`removed user ${name}; their sessions have ended\n`);
        return 0;
      }
      default:
        process.stderr.write(`${USAGE}\n`);
        return 64;
    }
  } finally {
    app.database.close();
  }
}

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CapstanError) {
      process.stderr.write(`capstan: ${err.message}${err.details ? ` (${err.details})` : ''}\n`);
      process.exit(1);
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`capstan: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`capstan: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
