import { describe, it, expect } from '@jest/globals';
import {
  compressionOf,
  isCoreFileName,
  parseCoreFileName,
  stripCompressionSuffix,
  type CoreFileName,
} from './core-file-name.js';

const BOOT = '0123456789abcdef0123456789abcdef';
const USEC = '1700000000000000';
const base = `core.crasher.1000.${BOOT}.42.${USEC}`;

describe('isCoreFileName', () => {
  it.each<[string, boolean]>([
    [`${base}.zst`, true],
    [base, true],
    ['core.foo', true],
    ['core.x', true],
    ['core', false],
    ['core.', false],
    ['corex', false],
    ['', false],
    ['.#core.x', false],
    [`.#${base}.zst`, false],
    ['Core.foo', false],
    ['core.a/b', false],
    ['core.a\0b', false],
    ['../core.x', false],
  ])('%j -> %s', (name, expected) => {
    expect(isCoreFileName(name)).toBe(expected);
  });
});

describe('compressionOf / stripCompressionSuffix', () => {
  it.each<[string, string, string]>([
    [`${base}.zst`, 'zst', base],
    [`${base}.lz4`, 'lz4', base],
    [`${base}.xz`, 'xz', base],
    [base, 'none', base],
    ['core.foo.gz', 'none', 'core.foo.gz'],
    ['core.foo.zstd', 'none', 'core.foo.zstd'],
    ['/var/lib/systemd/coredump/x.xz', 'xz', '/var/lib/systemd/coredump/x'],
    ['', 'none', ''],
  ])('%j -> %s, %j', (name, compression, stripped) => {
    expect(compressionOf(name)).toBe(compression);
    expect(stripCompressionSuffix(name)).toBe(stripped);
  });
});

describe('parseCoreFileName', () => {
  const ok = (over: Partial<CoreFileName>): CoreFileName => ({
    comm: 'crasher',
    uid: 1000,
    bootId: BOOT,
    pid: 42,
    timestampUsec: USEC,
    compression: 'none',
    ...over,
  });

  it.each<[string, CoreFileName]>([
    [`${base}.zst`, ok({ compression: 'zst' })],
    [`${base}.lz4`, ok({ compression: 'lz4' })],
    [`${base}.xz`, ok({ compression: 'xz' })],
    [base, ok({})],
    [`core.my\\x2eapp.1000.${BOOT}.42.${USEC}.zst`, ok({ comm: 'my.app', compression: 'zst' })],
    [`core.a\\x2fb\\x20c.0.${BOOT}.1.${USEC}`, ok({ comm: 'a/b c', uid: 0, pid: 1 })],
    [`core.back\\x5cslash.1000.${BOOT}.42.${USEC}`, ok({ comm: 'back\\slash' })],
    // UTF-8 comm: systemd escapes every byte >= 0x7f individually.
    [`core.caf\\xc3\\xa9.1000.${BOOT}.42.${USEC}`, ok({ comm: 'café' })],
    [`core.CAF\\xC3\\xA9.1000.${BOOT}.42.${USEC}`, ok({ comm: 'CAFé' })],
    // Kernel truncation to 15 bytes can cut a character in half: decoded leniently.
    [`core.ab\\xc3.1000.${BOOT}.42.${USEC}`, ok({ comm: 'ab\uFFFD' })],
    // A stray backslash (not produced by systemd) stays literal.
    [`core.a\\b.1000.${BOOT}.42.${USEC}`, ok({ comm: 'a\\b' })],
    [
      `core.crasher.65534.${BOOT}.4194304.${USEC}.zst`,
      ok({ uid: 65534, pid: 4194304, compression: 'zst' }),
    ],
    [`core.crasher.4294967295.${BOOT}.42.0`, ok({ uid: 4294967295, timestampUsec: '0' })],
    [
      `core.crasher.0.${'0'.repeat(32)}.7.18446744073709551615`,
      ok({ uid: 0, bootId: '0'.repeat(32), pid: 7, timestampUsec: '18446744073709551615' }),
    ],
  ])('%j', (name, expected) => {
    expect(parseCoreFileName(name)).toEqual(expected);
  });

  it.each<[string]>([
    ['core.foo'],
    ['core'],
    ['corex'],
    [''],
    ['.#core.x'],
    [`.#${base}.zst`],
    [`${base}.gz`],
    [`${base}.zst.zst`],
    [`core.my.app.1000.${BOOT}.42.${USEC}`],
    [`core..1000.${BOOT}.42.${USEC}`],
    [`core.crasher.1000.${BOOT.toUpperCase()}.42.${USEC}`],
    [`core.crasher.1000.${BOOT.slice(1)}.42.${USEC}`],
    [`core.crasher.1000.${BOOT}0.42.${USEC}`],
    [`core.crasher.-1.${BOOT}.42.${USEC}`],
    [`core.crasher.01.${BOOT}.42.${USEC}`],
    [`core.crasher.4294967296.${BOOT}.42.${USEC}`],
    [`core.crasher.1000.${BOOT}.0.${USEC}`],
    [`core.crasher.1000.${BOOT}.x.${USEC}`],
    [`core.crasher.1000.${BOOT}.42.`],
    [`core.crasher.1000.${BOOT}.42.17e14`],
    [`core.crasher.1000.${BOOT}.42`],
    [`core.a/b.1000.${BOOT}.42.${USEC}`],
    [`core.crasher.1000.${BOOT}.42.${USEC}\0`],
  ])('%j -> null', (name) => {
    expect(parseCoreFileName(name)).toBeNull();
  });
});
