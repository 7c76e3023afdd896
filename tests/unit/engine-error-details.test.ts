// Found by tests/integration/fuzz.test.ts: a pull from a registry nobody serves
// answered details "server error", the HTTP reason, instead of the engine's text.
import { describe, expect, it } from 'vitest';
import { toEngineError } from '../../src/server/docker/errors.js';

describe("the engine's text of a streamed request", () => {
  it('is read from the message when docker-modem parsed no json', () => {
    const text = 'Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused';
    const err = Object.assign(new Error(`(HTTP code 500) server error - ${text} `), { statusCode: 500, reason: 'server error', json: null });
    expect(toEngineError(err, 'Could not pull image').details).toBe(text);
  });

  it('falls back to the reason when the engine said nothing', () => {
    const err = Object.assign(new Error('(HTTP code 404) no such container - '), { statusCode: 404, reason: 'no such container', json: null });
    expect(toEngineError(err).details).toBe('no such container');
  });
});
