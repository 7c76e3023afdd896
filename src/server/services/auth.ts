import { verifyAgainstDummy, verifyPassword } from '../auth/passwords.js';
import type { SessionStore } from '../auth/sessions.js';
import type { LoginThrottle } from '../auth/throttle.js';
import { CapstanError } from '../errors.js';
import type { AuditLog } from './audit.js';
import type { UserService } from './users.js';

export interface LoginResult {
  token: string;
  expiresAt: Date;
  user: { id: string; username: string };
}

const BAD_CREDENTIALS = 'Invalid username or password';

export class AuthService {
  constructor(
    private readonly users: UserService,
    private readonly sessions: SessionStore,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditLog,
  ) {}

  async login(username: string, password: string, address: string): Promise<LoginResult> {
    const wait = this.throttle.retryAfter(address, username);
    if (wait > 0) {
      await this.audit.record({
        actor: username,
        action: 'auth.login',
        outcome: 'failure',
        details: { address, reason: 'throttled' },
      });
      throw new CapstanError('TOO_MANY_REQUESTS', 'Too many failed logins; try again later', {
        details: `retry after ${wait} seconds`,
        retryAfter: wait,
      });
    }
    const user = await this.users.findByUsername(username);
    // Unknown users cost one argon2 verification too, so timing does not tell them apart.
    const ok = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
    if (!user || !ok) {
      this.throttle.recordFailure(address, username);
      await this.audit.record({
        actor: username,
        action: 'auth.login',
        outcome: 'failure',
        details: { address, reason: 'bad_credentials' },
      });
      throw new CapstanError('UNAUTHORIZED', BAD_CREDENTIALS);
    }
    this.throttle.recordSuccess(address, username);
    const session = await this.sessions.create(user.id);
    await this.audit.record({
      actor: user.username,
      action: 'auth.login',
      target: `user:${user.id}`,
      outcome: 'success',
      details: { address },
    });
    return { ...session, user: { id: user.id, username: user.username } };
  }

  async logout(token: string, user: { id: string; username: string }, address: string): Promise<void> {
    await this.sessions.invalidate(token);
    await this.audit.record({
      actor: user.username,
      action: 'auth.logout',
      target: `user:${user.id}`,
      outcome: 'success',
      details: { address },
    });
  }
}
