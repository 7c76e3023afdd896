import { verifyAgainstDummy, verifyPassword } from '../auth/passwords.js';
import type { SessionStore } from '../auth/sessions.js';
import type { LoginThrottle } from '../auth/throttle.js';
import { CapstanError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { audited, type AuditLog } from './audit.js';
import { defaultThrottleAudit, ThrottleAudit, type ThrottleAuditOptions } from './throttle-audit.js';
import type { UserService } from './users.js';

export interface LoginResult {
  token: string;
  expiresAt: Date;
  user: { id: string; username: string };
}

const BAD_CREDENTIALS = 'Invalid username or password';

export class AuthService {
  /** Refused logins are summarised per throttle key and window, not written one by one. */
  readonly throttled: ThrottleAudit;

  constructor(
    private readonly users: UserService,
    private readonly sessions: SessionStore,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditLog,
    log?: Logger,
    throttleAudit: ThrottleAuditOptions = defaultThrottleAudit,
  ) {
    this.throttled = new ThrottleAudit(audit, log ?? silentLogger, throttleAudit);
  }

  async login(username: string, password: string, address: string): Promise<LoginResult> {
    const verdict = await this.throttle.check(address, username);
    if (verdict.wait > 0) {
      // Not audited() one by one: an unauthenticated flood must not grow the log at its own pace.
      await this.throttled.refused(verdict, address, username);
      throw new CapstanError('TOO_MANY_REQUESTS', 'Too many failed logins; try again later', {
        details: `retry after ${verdict.wait} seconds`,
        retryAfter: verdict.wait,
      });
    }
    return audited(this.audit, 'auth.login', { actor: username, details: { address } }, async (note) => {
      const user = await this.users.findByUsername(username);
      // Unknown users cost one argon2 verification too, so timing does not tell them apart.
      const ok = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
      if (!user || !ok) {
        await this.throttle.recordFailure(address, username);
        note.details = { reason: 'bad_credentials' };
        throw new CapstanError('UNAUTHORIZED', BAD_CREDENTIALS);
      }
      await this.throttle.recordSuccess(address, username);
      const session = await this.sessions.create(user.id);
      note.target = `user:${user.id}`;
      return { ...session, user: { id: user.id, username: user.username } };
    });
  }

  async logout(token: string, user: { id: string; username: string }, address: string): Promise<void> {
    await audited(this.audit, 'auth.logout', { actor: user.username, target: `user:${user.id}`, details: { address } }, () =>
      this.sessions.invalidate(token),
    );
  }
}
