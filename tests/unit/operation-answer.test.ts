import { ServerResponse, IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CapstanError } from '../../src/server/errors.js';
import { answerAfterWork } from '../../src/server/operation-answer.js';
import { answerStatusOf } from '../../src/server/response-status.js';
import type { DeploymentRow } from '../../src/server/services/deployment-store.js';

const res = () => new ServerResponse(new IncomingMessage(new Socket()));
const deployment = (over: Partial<DeploymentRow>): DeploymentRow =>
  ({ id: 'd1', serviceId: 's1', serviceName: 'web', kind: 'stop', status: 'queued', actor: 'admin', steps: [], error: null, attempts: 0, ...over }) as DeploymentRow;

describe('the answer of a route that answers after its work', () => {
  it('is 200 {success} when the deployment succeeded', () => {
    const r = res();
    expect(answerAfterWork(r, deployment({ status: 'succeeded' }))).toEqual({ success: true });
    expect(answerStatusOf(r)).toBeUndefined();
  });

  it("is the deployment's own error when it failed", () => {
    const error = { error: 'Volume in use', details: 'web_data: in use by a container', code: 'CONFLICT', at: '2026-01-01T00:00:00.000Z' };
    let thrown: unknown;
    try {
      answerAfterWork(res(), deployment({ status: 'failed', error }));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CapstanError);
    expect(thrown).toMatchObject({ code: 'CONFLICT', message: 'Volume in use', details: 'web_data: in use by a container' });
  });

  it('an unknown stored code is a 500, not passed through', () => {
    expect(() => answerAfterWork(res(), deployment({ status: 'failed', error: { error: 'x', code: 'WEIRD', at: '' } }))).toThrow(
      expect.objectContaining({ code: 'INTERNAL_SERVER_ERROR' }),
    );
  });

  it('is 202 with the deployment id while it still runs', () => {
    for (const status of ['queued', 'running'] as const) {
      const r = res();
      expect(answerAfterWork(r, deployment({ status }))).toEqual({ success: true, deployment_id: 'd1' });
      expect(answerStatusOf(r)).toBe(202);
    }
  });
});
