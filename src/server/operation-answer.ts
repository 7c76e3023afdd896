import type { ServerResponse } from 'node:http';
import { CapstanError, type ErrorCode } from './errors.js';
import { setAnswerStatus } from './response-status.js';
import type { DeploymentRow } from './services/deployment-store.js';

const CODES = new Set<string>(['BAD_REQUEST', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'TOO_MANY_REQUESTS', 'SERVICE_UNAVAILABLE', 'INTERNAL_SERVER_ERROR']);

export type WorkAnswer = { success: true } | { success: true; deployment_id: string };

/**
 * The answer of a route that answers after its work (start, stop, restart,
 * delete): 200 when the deployment succeeded, its own error when it failed,
 * and 202 with its id when the bounded wait ran out (the work goes on).
 */
export function answerAfterWork(res: ServerResponse, d: DeploymentRow): WorkAnswer {
  if (d.status === 'succeeded') return { success: true };
  if (d.status === 'failed') throw failureOf(d);
  setAnswerStatus(res, 202);
  return { success: true, deployment_id: d.id };
}

function failureOf(d: DeploymentRow): CapstanError {
  const e = d.error;
  const code = (e && CODES.has(e.code) ? e.code : 'INTERNAL_SERVER_ERROR') as ErrorCode;
  return new CapstanError(code, e?.error ?? 'The operation failed', { details: e?.details ?? `deployment ${d.id} failed` });
}
