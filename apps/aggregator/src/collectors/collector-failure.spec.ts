import { describe, expect, it } from '@jest/globals';

import {
  allFailedException,
  describeFailure,
  forwardedHeaders,
  isCollectorFault,
  toHttpException,
  type CollectorFailure,
} from './collector-failure.js';

const body = (e: { getResponse(): unknown }): unknown => e.getResponse();

describe('collector failures', () => {
  it('describes each kind for the Warning header', () => {
    expect(describeFailure({ kind: 'timeout', ms: 5000 })).toBe('timeout after 5000 ms');
    expect(describeFailure({ kind: 'unreachable', code: 'ECONNREFUSED' })).toBe(
      'unreachable: ECONNREFUSED',
    );
    expect(describeFailure({ kind: 'http', status: 500, message: 'boom' })).toBe('HTTP 500: boom');
    expect(describeFailure({ kind: 'not-ready', reason: 'collector pod is not ready' })).toBe(
      'collector pod is not ready',
    );
  });

  it.each<[CollectorFailure, number, string]>([
    [{ kind: 'timeout', ms: 5000 }, 504, 'node n: the collector did not answer within 5000 ms'],
    [
      { kind: 'unreachable', code: 'ECONNREFUSED' },
      502,
      'node n: the collector is unreachable (ECONNREFUSED)',
    ],
    [
      { kind: 'bad-answer', message: 'not JSON' },
      502,
      "node n: the collector's answer was unusable (not JSON)",
    ],
    [
      { kind: 'not-ready', reason: 'collector pod is not ready' },
      503,
      'node n: collector pod is not ready',
    ],
    [{ kind: 'http', status: 404, message: 'core x not found' }, 404, 'core x not found'],
    [{ kind: 'http', status: 403, message: 'alice cannot get …' }, 403, 'alice cannot get …'],
    [
      { kind: 'http', status: 401, message: 'the token was not accepted' },
      401,
      'the token was not accepted',
    ],
    [
      { kind: 'http', status: 503, message: 'cannot check permissions' },
      503,
      'node n: cannot check permissions',
    ],
    [
      { kind: 'http', status: 500, message: 'Internal server error' },
      502,
      'node n: the collector answered HTTP 500 (Internal server error)',
    ],
  ])('maps %j to %i', (failure, status, message) => {
    const e = toHttpException('n', failure);
    expect(e.getStatus()).toBe(status);
    expect(body(e)).toEqual({ statusCode: status, error: expect.any(String), message });
  });

  it('keeps the collector’s WWW-Authenticate on a 401', () => {
    const e = toHttpException('n', {
      kind: 'http',
      status: 401,
      message: 'no',
      wwwAuthenticate: 'Bearer realm="koredump"',
    });
    expect(forwardedHeaders(e)).toEqual({ 'WWW-Authenticate': 'Bearer realm="koredump"' });
    expect(forwardedHeaders(new Error('x'))).toEqual({});
  });

  it('counts only the collector’s own faults against its health', () => {
    expect(isCollectorFault({ kind: 'http', status: 403, message: '' })).toBe(false);
    expect(isCollectorFault({ kind: 'http', status: 502, message: '' })).toBe(true);
    expect(isCollectorFault({ kind: 'timeout', ms: 1 })).toBe(true);
  });

  it('fails a list no node answered: common 4xx, else 504/503/502 naming every node', () => {
    const f = (node: string, failure: CollectorFailure) => ({ node, failure });
    const unauth = { kind: 'http', status: 401, message: 'the token was not accepted' } as const;
    expect(allFailedException([f('a', unauth), f('b', unauth)], 's').getStatus()).toBe(401);
    const timeouts = [f('a', { kind: 'timeout', ms: 1 }), f('b', { kind: 'timeout', ms: 1 })];
    expect(allFailedException(timeouts, 'a (…), b (…)').getStatus()).toBe(504);
    expect(body(allFailedException(timeouts, 'a (…), b (…)'))).toMatchObject({
      message: 'no collector answered: a (…), b (…)',
    });
    const notReady = { kind: 'not-ready', reason: 'r' } as const;
    expect(allFailedException([f('a', notReady), f('b', notReady)], 's').getStatus()).toBe(503);
    expect(
      allFailedException([f('a', unauth), f('b', { kind: 'timeout', ms: 1 })], 's').getStatus(),
    ).toBe(502);
    expect(allFailedException([f('a', { kind: 'timeout', ms: 7 })], 's').getStatus()).toBe(504);
  });
});
