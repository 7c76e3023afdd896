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
import { zTokenName } from '../shared/tokens.js';

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
  token add NAME [--user USER] [--expires ISO-8601]
                        create an API token (printed once; it acts as USER,
                        which may be left out when there is one user)
  token list            list API tokens (never their secrets)
  token remove NAME     revoke a token, at once
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

/** `--flag value` pairs after the positional arguments; an unknown or valueless flag is a usage error (undefined). */
function flagsOf(rest: string[], known: string[]): Record<string, string> | undefined {
  const flags: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i]!, rest[i + 1]];
    if (!known.includes(flag) || value === undefined || flag.slice(2) in flags) return undefined;
    flags[flag.slice(2)] = value;
  }
  return flags;
}

async function tokenCommand(app: App, command: string | undefined, name: string | undefined, rest: string[]): Promise<number> {
  const audit = <T extends { id: string }>(action: string, details: Record<string, unknown>, work: () => Promise<T>): Promise<T> =>
    audited(app.audit, action, { actor: 'cli', details: { ...details, os_user: osUser() } }, async (note) => {
      const done = await work();
      note.target = `token:${done.id}`;
      return done;
    });
  if (command === 'list' && !name) {
    for (const t of await app.tokens.list()) {
      const state = t.expired ? 'expired' : t.expires_at ? `expires ${t.expires_at}` : 'no expiry';
      process.stdout.write(`${t.name}\t${t.id}\t${t.hint}\t${t.user?.username ?? '-'}\tcreated ${t.created_at}\t${state}\tlast used ${t.last_used_at ?? 'never'}\n`);
    }
    return 0;
  }
  if (command === 'add' && name) {
    const flags = flagsOf(rest, ['--user', '--expires']);
    if (!flags) return usage();
    const expires = flags.expires ? new Date(flags.expires) : undefined;
    if (expires && Number.isNaN(expires.getTime())) throw new CapstanError('BAD_REQUEST', 'Invalid --expires', { details: 'an ISO 8601 date or time, e.g. 2027-01-31' });
    const parsed = zTokenName.safeParse(name);
    if (!parsed.success) throw new CapstanError('BAD_REQUEST', 'Invalid token name', { details: parsed.error.issues[0]?.message ?? '' });
    const created = await audit('token.create', { name: parsed.data }, () => app.tokens.createFor(flags.user, parsed.data, expires?.toISOString()));
    // The secret on stdout alone, so `TOKEN=$(npm run -s capstan -- token add ci)` works; the words on stderr.
    process.stderr.write(`created token ${created.name} (${created.id}); it is shown once:\n`);
    process.stdout.write(`${created.token}\n`);
    return 0;
  }
  if (command === 'remove' && name && rest.length === 0) {
    const token = await app.tokens.find(name);
    if (!token) throw new CapstanError('NOT_FOUND', 'Token not found', { details: `no token named or with id "${name}"` });
    await audit('token.revoke', { name: token.name }, () => app.tokens.revoke(token.id));
    process.stdout.write(`revoked token ${token.name}\n`);
    return 0;
  }
  return usage();
}

function usage(): number {
  process.stderr.write(`${USAGE}\n`);
  return 64;
}

export async function runCli(args: string[]): Promise<number> {
  const [group, command, name] = args;
  const verifyFlags = args.slice(2);
  const auditVerify =
    group === 'audit' && command === 'verify' && verifyFlags.every((f) => f === '--json' || f === '--full') && new Set(verifyFlags).size === verifyFlags.length;
  if (!auditVerify && group !== 'token' && (group !== 'user' || !command || (command !== 'list' && !name))) return usage();
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
    if (group === 'token') return await tokenCommand(app, command, name, args.slice(3));
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
        return usage();
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
