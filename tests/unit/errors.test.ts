import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toEngineError } from '../../src/server/docker/errors.js';
import { CapstanError } from '../../src/server/errors.js';
import { contractError, reshapeErrorBody } from '../../src/server/http-errors.js';
import { redact } from '../../src/server/services/audit.js';

describe('contractError', () => {
  it('keeps a domain error as it is', () => {
    const err = new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: new CapstanError('CONFLICT', 'Name taken', { details: 'name: "blog"' }) });
    expect(contractError(err)).toEqual({ status: 409, body: { error: 'Name taken', details: 'name: "blog"', code: 'CONFLICT' } });
  });

  it('names the field of a validation error', () => {
    const parsed = z.object({ user: z.object({ name: z.string() }) }).safeParse({ user: {} });
    const err = new TRPCError({ code: 'BAD_REQUEST', cause: parsed.error });
    const { status, body } = contractError(err);
    expect(status).toBe(400);
    expect(body.code).toBe('BAD_REQUEST');
    expect(body.details).toMatch(/^user\.name: /);
  });

  it('hides the message of an unexpected error', () => {
    const err = new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: new Error('SQLITE_BUSY at /srv/x.db') });
    expect(contractError(err)).toEqual({ status: 500, body: { error: 'Internal server error', code: 'INTERNAL_SERVER_ERROR' } });
    expect(contractError(new Error('boom')).status).toBe(500);
  });

  it('reshapes the trpc-to-openapi body to exactly {error, details, code}', () => {
    expect(reshapeErrorBody({ message: 'x', error: 'Not here', code: 'NOT_FOUND', issues: [], data: { code: 'NOT_FOUND' } })).toEqual({
      error: 'Not here',
      code: 'NOT_FOUND',
    });
  });
});

describe('toEngineError', () => {
  it('treats connection failures and deadlines as an unavailable engine', () => {
    for (const e of [
      Object.assign(new Error('connect ENOENT /x.sock'), { code: 'ENOENT' }),
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('aborted'), { name: 'AbortError' }),
    ]) {
      const mapped = toEngineError(e);
      expect(mapped.code).toBe('SERVICE_UNAVAILABLE');
      expect(mapped.message).toBe('Docker engine unavailable');
    }
  });

  it("keeps the engine's status and message", () => {
    const e = Object.assign(new Error('(HTTP code 409) conflict'), { statusCode: 409, json: { message: 'name in use' } });
    const mapped = toEngineError(e, 'Could not create container');
    expect(mapped).toMatchObject({ code: 'CONFLICT', message: 'Could not create container', details: 'name in use' });
  });
});

describe('toEngineError maps by status code first', () => {
  const answered = (statusCode: number, message: string) =>
    Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), { statusCode, json: { message } });

  it('keeps a 4xx whose text mentions a timeout as bad input, not an unavailable engine', () => {
    const mapped = toEngineError(answered(400, 'Timeout in healthcheck cannot be less than 1ms'), 'Could not create container');
    expect(mapped).toMatchObject({ code: 'BAD_REQUEST', message: 'Could not create container', details: 'Timeout in healthcheck cannot be less than 1ms' });
    expect(toEngineError(answered(500, 'context deadline exceeded: timeout')).code).toBe('INTERNAL_SERVER_ERROR');
    expect(toEngineError(answered(400, 'socket hang up')).code).toBe('BAD_REQUEST');
  });

  it('maps each status class', () => {
    expect(toEngineError(answered(404, 'No such image')).code).toBe('NOT_FOUND');
    expect(toEngineError(answered(409, 'volume is in use')).code).toBe('CONFLICT');
    expect(toEngineError(answered(403, 'network has active endpoints')).code).toBe('CONFLICT');
    expect(toEngineError(answered(422, 'unprocessable')).code).toBe('BAD_REQUEST');
    expect(toEngineError(answered(500, 'driver failed programming external connectivity: port is already allocated'))).toMatchObject({
      code: 'CONFLICT',
      message: 'Port already allocated',
    });
    expect(toEngineError(answered(409, 'Conflict. The container name "/x" is already in use by container "y"')).message).toBe('Container name already in use');
    expect(toEngineError(answered(503, 'This node is not a swarm manager')).code).toBe('INTERNAL_SERVER_ERROR');
  });

  it('reads a redirect (never followed) as bad input', () => {
    const mapped = toEngineError(Object.assign(new Error('(HTTP code 301) unexpected - '), { statusCode: 301, json: null }));
    expect(mapped.code).toBe('BAD_REQUEST');
    expect(mapped.details).toMatch(/redirect \(HTTP 301\)/);
  });

  it('uses the text only for failures without a status', () => {
    expect(toEngineError(new Error('socket hang up')).code).toBe('SERVICE_UNAVAILABLE');
    expect(toEngineError(Object.assign(new Error('read ETIMEDOUT'), { code: 'ETIMEDOUT' })).code).toBe('SERVICE_UNAVAILABLE');
    expect(toEngineError(new Error('something else')).code).toBe('INTERNAL_SERVER_ERROR');
  });
});

describe('redact', () => {
  it('drops secret values at any depth and keeps environment keys only', () => {
    expect(
      redact({ password: 'p', nested: { apiToken: 't', ok: 1 }, environment: { web: { A: '1' } }, list: [{ secret: 's' }] }),
    ).toEqual({ password: '[redacted]', nested: { apiToken: '[redacted]', ok: 1 }, environment: ['web'], list: [{ secret: '[redacted]' }] });
  });
});
