import { verifyAgainstDummy, verifyPassword } from '../auth/passwords.js';
import type { SessionStore } from '../auth/sessions.js';
import type { LoginThrottle, ThrottleVerdict } from '../auth/throttle.js';
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
/** The throttle's "username" for bearer tokens: their failures count per address, like a login's. */
export const TOKEN_THROTTLE_USER = '(bearer token)';
const BLOCKED_MAX = 10_000;

export class AuthService {
  /** Refused logins are summarised per throttle key and window, not written one by one. */
  readonly throttled: ThrottleAudit;
  /** Addresses whose failed tokens are answered 429 until a time (ms), without another throttle write or audit entry: kept in memory. */
  private readonly blocked = new Map<string, { until: number; verdict: ThrottleVerdict }>();

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

  /**
   * After a bearer token opened nothing: the seconds its address must wait,
   * when too many of its tokens failed lately (this failure is then only
   * refused), else 0. Read from memory only.
   */
  tokenWait(address: string): number {
    const block = this.blocked.get(address);
    if (block === undefined) return 0;
    const left = block.until - Date.now();
    if (left > 0) return Math.ceil(left / 1000);
    this.blocked.delete(address);
    return 0;
  }

  /**
   * A bearer token that opened nothing (unknown, revoked, expired): counted
   * like a failed login and audited; answers the wait when its address is
   * now over the limit (the request gets a 429 instead of a 401).
   */
  async tokenFailed(address: string, via: string): Promise<number> {
    await this.throttle.recordFailure(address, TOKEN_THROTTLE_USER);
    await this.audit.record({ actor: 'anonymous', action: 'auth.token_rejected', target: `address:${address}`, outcome: 'failure', details: { address, via } }).catch(() => undefined);
    const verdict = await this.throttle.check(address, TOKEN_THROTTLE_USER);
    if (verdict.wait <= 0) return 0;
    if (this.blocked.size >= BLOCKED_MAX) this.blocked.delete(this.blocked.keys().next().value!);
    this.blocked.set(address, { until: Date.now() + verdict.wait * 1000, verdict });
    await this.throttled.refused(verdict, address, TOKEN_THROTTLE_USER);
    return verdict.wait;
  }

  /** A request refused by tokenWait: summarised as refused logins are. */
  async tokenRefused(address: string): Promise<void> {
    const block = this.blocked.get(address);
    if (block) await this.throttled.refused({ ...block.verdict, wait: this.tokenWait(address) }, address, TOKEN_THROTTLE_USER);
  }

  /** Ends the session; with an API token, revokes that token (it "stops working" either way). */
  async logout(token: string, user: { id: string; username: string }, address: string, apiToken?: { id: string; name: string }): Promise<void> {
    const actor = apiToken ? `token:${apiToken.name}` : user.username;
    const target = apiToken ? `token:${apiToken.id}` : `user:${user.id}`;
    await audited(this.audit, 'auth.logout', { actor, target, details: { address } }, async () => {
      if (apiToken) await this.sessions.apiTokens.revoke(apiToken.id);
      else await this.sessions.invalidate(token);
    });
  }
}
