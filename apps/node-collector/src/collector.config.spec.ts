import { describe, expect, it } from '@jest/globals';

import { ConfigError, loadCollectorConfig } from './collector.config.js';

describe('loadCollectorConfig', () => {
  it('has the documented defaults', () => {
    const c = loadCollectorConfig({});
    expect(c).toMatchObject({
      port: 5001,
      host: '0.0.0.0',
      coreDir: '/var/lib/systemd/coredump',
      authDisabled: false,
      fakeK8s: false,
      rescanIntervalMs: 60_000,
      logFormat: 'text',
      watchHeartbeatMs: 15_000,
      watchMaxClients: 1000,
    });
    expect(c.journalDir).toBeUndefined();
    expect(c.namespaceFilter).toBeUndefined();
    expect(c.nodeName.length).toBeGreaterThan(0);
  });

  it('reads every variable', () => {
    const c = loadCollectorConfig({
      PORT: '6001',
      HOST: '127.0.0.1',
      KOREDUMP_COREDUMP_DIR: '/cores/',
      KOREDUMP_JOURNAL_DIR: '/j',
      KOREDUMP_NODE_NAME: 'n1',
      KOREDUMP_NAMESPACE_REGEX: 'team-.*|infra',
      NO_TOKENS: '1',
      FAKE_K8S: '1',
      KOREDUMP_RESCAN_INTERVAL_S: '5',
      KOREDUMP_LOG_FORMAT: 'JSON',
    });
    expect(c).toMatchObject({
      port: 6001,
      host: '127.0.0.1',
      coreDir: '/cores',
      journalDir: '/j',
      nodeName: 'n1',
      authDisabled: true,
      fakeK8s: true,
      rescanIntervalMs: 5000,
      logFormat: 'json',
    });
    // Full match, not the original's prefix match; alternatives stay inside the anchors.
    expect(['team-a', 'infra'].map((n) => c.namespaceFilter!.test(n))).toEqual([true, true]);
    expect(
      ['team', 'infra-x', 'xinfra', 'kube-system'].map((n) => c.namespaceFilter!.test(n)),
    ).toEqual([false, false, false, false]);
  });

  it('lists every bad variable in one error', () => {
    let error: unknown;
    try {
      loadCollectorConfig({
        PORT: '70000',
        KOREDUMP_COREDUMP_DIR: 'relative',
        NO_TOKENS: 'yes',
        KOREDUMP_NAMESPACE_REGEX: '(',
        KOREDUMP_LOG_FORMAT: 'xml',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const v of [
      'PORT',
      'KOREDUMP_COREDUMP_DIR',
      'NO_TOKENS',
      'KOREDUMP_NAMESPACE_REGEX',
      'KOREDUMP_LOG_FORMAT',
    ]) {
      expect(message).toContain(v);
    }
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '0'],
    ['KOREDUMP_RESCAN_INTERVAL_S', '0'],
    ['FAKE_K8S', 'true'],
    ['KOREDUMP_JOURNAL_DIR', 'var/log'],
  ])('rejects %s=%s', (key, value) => {
    expect(() => loadCollectorConfig({ [key]: value })).toThrow(ConfigError);
  });
});
