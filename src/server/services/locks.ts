import { CapstanError } from '../errors.js';

/**
 * One operation at a time per service. A second one is refused with 409
 * rather than queued: the caller sees the conflict and can retry.
 */
export class OperationLocks {
  private readonly busy = new Map<string, string>();

  async run<T>(id: string, operation: string, fn: () => Promise<T>): Promise<T> {
    const running = this.busy.get(id);
    if (running) {
      throw new CapstanError('CONFLICT', 'Another operation is in progress on this service', {
        details: `${running} is still running`,
      });
    }
    this.busy.set(id, operation);
    try {
      return await fn();
    } finally {
      this.busy.delete(id);
    }
  }
}
