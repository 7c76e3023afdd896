import { userInfo } from 'node:os';
import { tellRunningServers } from '../jobs/tell-servers.js';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { createApp, type App } from './app.js';
import { ConfigError, loadConfig } from './env.js';
import { CapstanError } from './errors.js';
import { createLogger } from './log.js';
import { audited } from './services/audit.js';
import { verifyAudit } from './services/audit-verify.js';
import type { UserSummary } from './services/users.js';

/**
 * The admin CLI: `npm run capstan -- user add|passwd|list|remove` and
 * `audit verify`. Works on the same data dir as the server, and may run while
 * the server does.
 */
const USAGE = `usage: npm run capstan -- <command>
  user add NAME         create a user (password from stdin, or prompted)
  user passwd NAME      set a new password (ends that user's sessions)
  user list             list users
  user remove NAME      remove a user and end their sessions
  audit verify [--full] [--json]
                        check the audit log's hash chain from the last verified head
                        (--full: every entry); exit status 1 if it is broken`;

function osUser(): string | null {
  try {
    return userInfo().username;
  } catch {
    return null;
  }
}

async function verifyCommand(app: App, json: boolean, full: boolean): Promise<number> {
  const result = await verifyAudit(app.audit, { full });
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else if (result.first_broken) {
    process.stdout.write(
      `audit log BROKEN at entry ${result.first_broken.id}: ${result.first_broken.reason}\n(${result.checked} entries checked before it)\n`,
    );
  } else {
    const from = result.checkpoint
      ? ` from the checkpoint after entry ${result.checkpoint.last_id} (${result.checkpoint.pruned_count} pruned)`
      : '';
    const after = result.from ? ` after the last verified entry ${result.from.id} (--full checks every entry)` : '';
    const head = result.head ? `; newest entry ${result.head.id}, hash ${result.head.hash}` : '';
    process.stdout.write(`audit log intact: ${result.checked} entries checked${after || from}${head}\n`);
  }
  return result.ok ? 0 : 1;
}

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
  const verifyFlags = args.slice(2);
  const auditVerify =
    group === 'audit' && command === 'verify' && verifyFlags.every((f) => f === '--json' || f === '--full') && new Set(verifyFlags).size === verifyFlags.length;
  if (!auditVerify && (group !== 'user' || !command || (command !== 'list' && !name))) {
    process.stderr.write(`${USAGE}\n`);
    return 64;
  }
  const config = loadConfig();
  const app = await createApp(config, createLogger('warn'));
  // Running servers keep validated sessions in memory: they are told what this command ended.
  const ended: string[] = [];
  app.sessions.publish = (what) => void ended.push(what);
  /** Runs one user operation through the audit wrapper, success or failure (never the password). */
  const userOperation = (action: string, operation: () => Promise<UserSummary>): Promise<UserSummary> =>
    audited(app.audit, action, { actor: 'cli', details: { username: name, os_user: osUser() } }, async (note) => {
      const user = await operation();
      note.target = `user:${user.id}`;
      return user;
    });
  try {
    if (auditVerify) return await verifyCommand(app, verifyFlags.includes('--json'), verifyFlags.includes('--full'));
    switch (command) {
      case 'add': {
        const user = await userOperation('user.create', async () => app.users.add(name!, await readPassword(`Password for ${name}: `)));
        process.stdout.write(`created user ${user.username}\n`);
        return 0;
      }
      case 'passwd': {
        await userOperation('user.passwd', async () => app.users.setPassword(name!, await readPassword(`New password for ${name}: `)));
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
        await userOperation('user.remove', () => app.users.remove(name!));
        process.stdout.write(`removed user ${name}; their sessions have ended\n`);
        return 0;
      }
      default:
        process.stderr.write(`${USAGE}\n`);
        return 64;
    }
  } finally {
    await tellRunningServers(config.dataDir, config.jobsDatabaseUrl, 'capstan_session', ended);
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
