import { createSignal } from 'solid-js';
import type { User } from '../shared/schemas.js';

/** The logged-in user, or null; set by login and by the shell's session check. */
const [user, setUser] = createSignal<User | null>(null);
export { user, setUser };

/** Where to go after logging in: only same-app paths, never an absolute URL. */
export function safeNext(next: string | null | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}
