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
      events: { enabled: true, windowMs: 600_000, lookbackMs: 3_600_000 },
      metricsEnabled: true,
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
      KOREDUMP_METRICS: '0',
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
      metricsEnabled: false,
    });
    // Full match, not the original's prefix match; alternatives stay inside the anchors.
    expect(['team-a', 'infra'].map((n) => c.namespaceFilter!.test(n))).toEqual([true, true]);
    expect(
      ['team', 'infra-x', 'xinfra', 'kube-system'].map((n) => c.namespaceFilter!.test(n)),
    ).toEqual([false, false, false, false]);
  });

  it('node health paths: the host kernel sysctls and the host root, absolute only', () => {
    expect(loadCollectorConfig({})).toMatchObject({
      kernelSysctlDir: '/proc/sys/kernel',
      hostRoot: '/',
    });
    expect(
      loadCollectorConfig({
        KOREDUMP_KERNEL_SYSCTL_DIR: '/host/proc/sys/kernel',
        KOREDUMP_HOST_ROOT: '/host',
      }),
    ).toMatchObject({ kernelSysctlDir: '/host/proc/sys/kernel', hostRoot: '/host' });
    expect(() =>
      loadCollectorConfig({ KOREDUMP_KERNEL_SYSCTL_DIR: 'proc', KOREDUMP_HOST_ROOT: 'host' }),
    ).toThrow(
      /KOREDUMP_KERNEL_SYSCTL_DIR must be an absolute path[^]*KOREDUMP_HOST_ROOT must be an absolute path/,
    );
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
        KOREDUMP_METRICS: 'on',
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
      'KOREDUMP_METRICS must be 1 or 0 (or true/false)',
    ]) {
      expect(message).toContain(v);
    }
  });

  it.each([
    ['false', false],
    ['FALSE', false],
    ['0', false],
    ['true', true],
    ['1', true],
  ])('reads KOREDUMP_EVENTS=%s as enabled=%s', (value, enabled) => {
    const c = loadCollectorConfig({
      KOREDUMP_EVENTS: value,
      KOREDUMP_EVENTS_WINDOW_S: '30',
      KOREDUMP_EVENTS_LOOKBACK_S: '120',
    });
    expect(c.events).toEqual({ enabled, windowMs: 30_000, lookbackMs: 120_000 });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '0'],
    ['KOREDUMP_RESCAN_INTERVAL_S', '0'],
    ['FAKE_K8S', 'yes'],
    ['KOREDUMP_JOURNAL_DIR', 'var/log'],
    ['KOREDUMP_EVENTS', 'yes'],
    ['KOREDUMP_EVENTS_WINDOW_S', '0'],
    ['KOREDUMP_EVENTS_LOOKBACK_S', '-5'],
  ])('rejects %s=%s', (key, value) => {
    expect(() => loadCollectorConfig({ [key]: value })).toThrow(ConfigError);
  });
});
