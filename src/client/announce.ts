import { createSignal } from 'solid-js';

/**
 * One polite live region for the whole app (rendered by the shell): status
 * changes and the outcome of actions are read out once, not per row.
 */
const [message, setMessage] = createSignal('');
export const announcement = message;

let clear: ReturnType<typeof setTimeout> | undefined;
export function announce(text: string): void {
  // Setting the same text twice would not be read again: blank it first.
  setMessage('');
  queueMicrotask(() => setMessage(text));
  clearTimeout(clear);
  clear = setTimeout(() => setMessage(''), 5000);
}
