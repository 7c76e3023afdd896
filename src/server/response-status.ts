import type { ServerResponse } from 'node:http';

/**
 * A status a procedure chose for its answer (202 when the work goes on),
 * read by the REST handler's responseMeta: trpc-to-openapi otherwise sets the
 * status from the route's meta alone. tRPC callers get 200 and the same body.
 */
const chosen = new WeakMap<ServerResponse, number>();

export function setAnswerStatus(res: ServerResponse, status: number): void {
  chosen.set(res, status);
}

export function answerStatusOf(res: ServerResponse | undefined): number | undefined {
  return res ? chosen.get(res) : undefined;
}
