import { describe, expect, it } from '@jest/globals';

import { apiUrl, chooseServer, inClusterUrl, serviceProxyUrl } from './endpoint.js';

describe('chooseServer', () => {
  it('--server, then KOREDUMP_URL, then in-cluster, then the service proxy', () => {
    const env = { KOREDUMP_URL: 'http://env:5000', KUBERNETES_SERVICE_HOST: '10.0.0.1' };
    expect(chooseServer({ server: 'http://flag' }, env)).toEqual({
      url: 'http://flag',
      via: '--server',
      namespace: 'koredump',
    });
    expect(chooseServer({}, env)).toMatchObject({ url: 'http://env:5000', via: 'KOREDUMP_URL' });
    expect(chooseServer({}, { KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toEqual({
      url: 'http://koreapi.koredump.svc',
      via: 'in-cluster',
      namespace: 'koredump',
    });
    expect(chooseServer({}, {})).toEqual({ via: 'service-proxy', namespace: 'koredump' });
  });

  it('namespace from --koredump-namespace, else KOREDUMP_NAMESPACE', () => {
    const env = { KOREDUMP_NAMESPACE: 'env-ns', KUBERNETES_SERVICE_HOST: 'x' };
    expect(chooseServer({}, env)).toMatchObject({
      url: 'http://koreapi.env-ns.svc',
      namespace: 'env-ns',
    });
    expect(chooseServer({ koredumpNamespace: 'flag-ns' }, env)).toMatchObject({
      url: 'http://koreapi.flag-ns.svc',
    });
  });

  it('in a pod, an explicit kubeconfig means the service proxy', () => {
    expect(chooseServer({ kubeconfig: '/k' }, { KUBERNETES_SERVICE_HOST: 'x' }).via).toBe(
      'service-proxy',
    );
    expect(chooseServer({}, { KUBERNETES_SERVICE_HOST: 'x', KUBECONFIG: '/k' }).via).toBe(
      'service-proxy',
    );
  });
});

describe('URLs', () => {
  it('in-cluster service', () => {
    expect(inClusterUrl('team')).toBe('http://koreapi.team.svc');
  });

  it('service proxy keeps a path prefix of the API server (Rancher-style)', () => {
    expect(serviceProxyUrl('https://10.0.0.1:6443', 'koredump').href).toBe(
      'https://10.0.0.1:6443/api/v1/namespaces/koredump/services/koreapi:80/proxy',
    );
    expect(serviceProxyUrl('https://rancher/k8s/clusters/c-1/', 'kd').href).toBe(
      'https://rancher/k8s/clusters/c-1/api/v1/namespaces/kd/services/koreapi:80/proxy',
    );
  });

  it('apiUrl appends the path and query to the base path', () => {
    const base = serviceProxyUrl('https://h', 'ns');
    expect(apiUrl(base, '/apiv1/cores', { namespace: 'a b', pod: 'x' }).href).toBe(
      'https://h/api/v1/namespaces/ns/services/koreapi:80/proxy/apiv1/cores?namespace=a+b&pod=x',
    );
    expect(apiUrl(new URL('http://h:5000/'), '/apiv1/nodes').href).toBe(
      'http://h:5000/apiv1/nodes',
    );
  });
});
