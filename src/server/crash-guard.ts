import type { Logger } from './log.js';

/** At most this much of a message goes to the log: enough to act on, not a dump. */
const MAX_MESSAGE = 1000;

/** A thrown value as log fields: name, message and stack, with credentials in URLs blanked. */
export function describeCrash(value: unknown): Record<string, string> {
  const scrub = (s: string) => s.replace(/(\/\/[^/\s:@]*:)[^@\s/]*@/g, '$1***@').slice(0, MAX_MESSAGE * 4);
  if (value instanceof Error) {
    return {
      name: scrub(value.name),
      message: scrub(value.message).slice(0, MAX_MESSAGE),
      ...(value.stack ? { stack: scrub(value.stack) } : {}),
    };
  }
  return { message: scrub(String(value)).slice(0, MAX_MESSAGE) };
}

/**
 * Node ends the process on an unhandled rejection or an uncaught exception.
 * For a server that one bad input must not bring down (and that would meet
 * the same input again after a restart), both are logged and the process
 * stays up: the request or job that caused it has already failed on its own.
 */
export function installCrashGuards(log: Logger, proc: NodeJS.Process = process): void {
  proc.on('unhandledRejection', (reason) => log.error('unhandled rejection (the process stays up)', describeCrash(reason)));
  proc.on('uncaughtException', (err, origin) => log.error('uncaught exception (the process stays up)', { origin, ...describeCrash(err) }));
}
