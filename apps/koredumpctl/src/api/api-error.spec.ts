import { describe, expect, it } from '@jest/globals';

import { EXIT_FAILURE } from '../errors.js';
import { httpFailure, networkFailure, warningText } from './api-error.js';

const direct = { via: '--server' as const, description: 'http://api:5000', namespace: 'koredump' };
const proxy = {
  via: 'service-proxy' as const,
  description: 'service koreapi …',
  namespace: 'koredump',
};
const list = { what: 'list cores' };

describe('httpFailure', () => {
  it('401 from koredump: check --token or your kubeconfig', () => {
    const e = httpFailure(
      401,
      { statusCode: 401, error: 'Unauthorized', message: 'the token was not accepted' },
      direct,
      list,
    );
    expect(e.message).toBe(
      'the API rejected the token; check --token or your kubeconfig (the token was not accepted)',
    );
    expect(e.exitCode).toBe(EXIT_FAILURE);
  });

  it("403 from koredump shows the API's message (namespace and permission)", () => {
    const msg = 'bob cannot get coredumps/download.koredump.io in namespace "team-b"';
    expect(httpFailure(403, { statusCode: 403, message: msg }, direct, list).message).toBe(
      `permission denied: ${msg}`,
    );
  });

  it('404 of a core names the core and the node', () => {
    const e = httpFailure(404, { statusCode: 404, message: 'core x not found' }, direct, {
      what: 'metadata',
      node: 'n1',
      id: 'core.x',
    });
    expect(e.message).toBe('core core.x not found on node n1 (core x not found)');
    expect(e.hint).toMatch(/list -o wide/);
  });

  it('answers of the Kubernetes API server on the service proxy are told apart', () => {
    const status = (code: number, message: string) => ({ kind: 'Status', code, message });
    expect(httpFailure(401, status(401, 'Unauthorized'), proxy, list).message).toMatch(
      /Kubernetes API server rejected your kubeconfig credentials/,
    );
    const forbidden = httpFailure(
      403,
      status(
        403,
        'services "koreapi:80" is forbidden: User "bob" cannot get resource "services/proxy"',
      ),
      proxy,
      list,
    );
    expect(forbidden.message).toMatch(
      /denied access to the koredump service: services "koreapi:80" is forbidden/,
    );
    expect(forbidden.hint).toMatch(/get services\/proxy" in namespace "koredump"/);
    expect(httpFailure(404, status(404, 'services "koreapi" not found'), proxy, list).hint).toMatch(
      /--koredump-namespace/,
    );
    expect(
      httpFailure(503, status(503, 'error trying to reach service'), proxy, list).message,
    ).toMatch(/cannot reach the koredump API/);
    // koredump's own 401 through the proxy is still "the API rejected the token"
    expect(
      httpFailure(401, { statusCode: 401, message: 'Unauthorized' }, proxy, list).message,
    ).toBe('the API rejected the token; check --token or your kubeconfig');
  });

  it('other statuses name the request and the server', () => {
    expect(
      httpFailure(502, { statusCode: 502, message: 'node-a: unreachable' }, direct, list).message,
    ).toBe('list cores: the API at http://api:5000 answered 502: node-a: unreachable');
    expect(httpFailure(400, { message: ['a', 'b'] }, direct, list).message).toBe(
      'list cores: the API refused the request: a; b',
    );
  });
});

describe('networkFailure', () => {
  it('names the URL tried and what to check', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const e = networkFailure(refused, 'http://127.0.0.1:1/apiv1/cores', direct);
    expect(e.message).toBe(
      'cannot reach the koredump API at http://127.0.0.1:1/apiv1/cores: connection refused',
    );
    expect(e.hint).toBe('check the --server URL');
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    expect(
      networkFailure(dns, 'http://koreapi.x.svc/apiv1/cores', { via: 'in-cluster', namespace: 'x' })
        .hint,
    ).toMatch(/installed in namespace "x"/);
    const tls = new Error('self-signed certificate in certificate chain');
    expect(networkFailure(tls, 'https://h', { via: 'service-proxy' }).message).toMatch(
      /TLS: self-signed/,
    );
  });
});

describe('warningText', () => {
  it("reads the aggregator's Warning header", () => {
    expect(warningText('199 koredump "nodes left out: node-b (timeout after 5000 ms)"')).toEqual([
      'nodes left out: node-b (timeout after 5000 ms)',
    ]);
    expect(warningText(['199 - "a \\"q\\""', 'plain'])).toEqual(['a "q"', 'plain']);
    expect(warningText(undefined)).toEqual([]);
  });
});
