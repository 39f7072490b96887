import { describe, expect, it } from '@jest/globals';

import {
  ConfigError,
  DEFAULT_COLLECTOR_SELECTOR,
  loadAggregatorConfig,
  SERVICE_ACCOUNT_NAMESPACE_FILE,
} from './aggregator.config.js';

const notInPod = {
  readFile: (): string => {
    throw new Error('ENOENT');
  },
};

describe('loadAggregatorConfig', () => {
  it('has the documented defaults: pod discovery, all namespaces outside a pod', () => {
    const c = loadAggregatorConfig({}, notInPod);
    expect(c).toEqual({
      port: 5000,
      host: '0.0.0.0',
      daemonsetPort: 5001,
      nodeTimeoutMs: 5000,
      authDisabled: false,
      fakeK8s: false,
      authMode: 'rbac',
      tokenAudiences: [],
      authCacheTtlMs: 60_000,
      logFormat: 'text',
      watchHeartbeatMs: 15_000,
      watchMaxClients: 1000,
      collectors: undefined,
      collectorSelector: DEFAULT_COLLECTOR_SELECTOR,
      collectorNamespace: undefined,
      metricsEnabled: true,
    });
  });

  it('reads every variable', () => {
    const c = loadAggregatorConfig(
      {
        PORT: '6000',
        HOST: '127.0.0.1',
        KOREDUMP_DAEMONSET_PORT: '6001',
        KOREDUMP_NODE_TIMEOUT_MS: '1500',
        NO_TOKENS: '1',
        KOREDUMP_AUTH_MODE: 'authenticated',
        KOREDUMP_TOKEN_AUDIENCES: 'a, b',
        KOREDUMP_AUTH_CACHE_TTL_S: '5',
        KOREDUMP_LOG_FORMAT: 'JSON',
        KOREDUMP_WATCH_HEARTBEAT_S: '2',
        KOREDUMP_WATCH_MAX_CLIENTS: '7',
        KOREDUMP_COLLECTOR_SELECTOR: 'app in (koredump),tier!=web',
        KOREDUMP_NAMESPACE: 'monitoring',
        KOREDUMP_METRICS: '0',
      },
      notInPod,
    );
    expect(c).toMatchObject({
      port: 6000,
      host: '127.0.0.1',
      daemonsetPort: 6001,
      nodeTimeoutMs: 1500,
      authDisabled: true,
      authMode: 'authenticated',
      tokenAudiences: ['a', 'b'],
      authCacheTtlMs: 5000,
      logFormat: 'json',
      watchHeartbeatMs: 2000,
      watchMaxClients: 7,
      collectorSelector: 'app in (koredump),tier!=web',
      collectorNamespace: 'monitoring',
      metricsEnabled: false,
    });
  });

  it('uses its own namespace in a pod, * for all namespaces', () => {
    const seen: string[] = [];
    const inPod = {
      readFile: (p: string): string => {
        seen.push(p);
        return 'koredump\n';
      },
    };
    expect(loadAggregatorConfig({}, inPod).collectorNamespace).toBe('koredump');
    expect(seen).toEqual([SERVICE_ACCOUNT_NAMESPACE_FILE]);
    expect(loadAggregatorConfig({ KOREDUMP_IN_CLUSTER_ROOT: '/x' }, inPod).collectorNamespace).toBe(
      'koredump',
    );
    expect(seen[1]).toBe(`/x${SERVICE_ACCOUNT_NAMESPACE_FILE}`);
    expect(loadAggregatorConfig({ KOREDUMP_NAMESPACE: '*' }, inPod).collectorNamespace).toBe(
      undefined,
    );
  });

  it('parses a static collector list (used whatever FAKE_K8S says)', () => {
    const c = loadAggregatorConfig({
      KOREDUMP_COLLECTORS: ' node-a=http://127.0.0.1:5001 , node-b.example=http://[::1]:5001/ ,',
    });
    expect(c.collectors).toEqual([
      { node: 'node-a', url: 'http://127.0.0.1:5001' },
      { node: 'node-b.example', url: 'http://[::1]:5001' },
    ]);
  });

  it('with FAKE_K8S=1 and no list, uses this host’s collector on the DaemonSet port', () => {
    const c = loadAggregatorConfig(
      { FAKE_K8S: '1', KOREDUMP_DAEMONSET_PORT: '7001' },
      { hostName: 'My-Host' },
    );
    expect(c.collectors).toEqual([{ node: 'my-host', url: 'http://127.0.0.1:7001' }]);
    expect(() => loadAggregatorConfig({ FAKE_K8S: '1' }, { hostName: 'bad_host' })).toThrow(
      /set KOREDUMP_COLLECTORS/,
    );
  });

  it('lists every bad variable in one error', () => {
    let err: unknown;
    try {
      loadAggregatorConfig({
        PORT: '0',
        KOREDUMP_NODE_TIMEOUT_MS: '10',
        NO_TOKENS: 'yes',
        KOREDUMP_AUTH_MODE: 'open',
        KOREDUMP_COLLECTORS:
          'a=http://x:1,a=http://y:1,B=http://z:1,c,d=ftp://h:1,e=http://h:1/path,f=http://u:p@h:1,g=nope',
        KOREDUMP_COLLECTOR_SELECTOR: 'bad key=1',
        KOREDUMP_NAMESPACE: 'Not_A_Namespace',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    for (const expected of [
      'PORT="0"',
      'KOREDUMP_NODE_TIMEOUT_MS="10"',
      'NO_TOKENS must be 1 or 0 (or true/false)',
      'KOREDUMP_AUTH_MODE must be rbac or authenticated',
      'node "a" is listed twice',
      '"B" is not a valid node name',
      '"c": expected <node>=<url>',
      'only http:// URLs are supported',
      'no path, query or credentials',
      '"nope" is not a URL',
      'KOREDUMP_COLLECTOR_SELECTOR="bad key=1"',
      'KOREDUMP_NAMESPACE="Not_A_Namespace"',
    ]) {
      expect(message).toContain(expected);
    }
    expect(message.match(/credentials/g)).toHaveLength(2);
  });
});
