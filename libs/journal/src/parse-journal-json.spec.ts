import { describe, it, expect } from '@jest/globals';
import { Buffer } from 'node:buffer';
import {
  INTEGER_FIELDS,
  parseJournalJsonLine,
  parseJournalJsonObject,
  type JournalValue,
  type ParsedJournalEntry,
} from './parse-journal-json.js';

const bytes = (s: string): number[] => [...Buffer.from(s, 'utf8')];
const b64 = (b: number[]) => ({ base64: Buffer.from(b).toString('base64') });
const AUXV = [33, 0, 0, 0, 0, 0, 0, 0, 0, 224, 255, 247, 255, 127, 0, 0, 16, 0, 0, 0];

describe('parseJournalJsonObject: one field', () => {
  // [label, field name, JSON value, expected normalized value (undefined = omitted)]
  it.each<[string, string, unknown, JournalValue | undefined]>([
    [
      'plain string',
      'MESSAGE',
      'Process 42 (crasher) of user 0 dumped core.',
      'Process 42 (crasher) of user 0 dumped core.',
    ],
    ['empty string', 'COREDUMP_CWD', '', ''],
    ['binary auxv byte array -> base64', 'COREDUMP_PROC_AUXV', AUXV, b64(AUXV)],
    [
      'journalctl doc example bytes -> base64',
      'X',
      [33, 0, 0, 0, 10, 0, 255, 1],
      b64([33, 0, 0, 0, 10, 0, 255, 1]),
    ],
    ['invalid UTF-8 (lone continuation byte)', 'X', [0x61, 0x80, 0x62], b64([0x61, 0x80, 0x62])],
    ['invalid UTF-8 (truncated sequence)', 'X', [0xe2, 0x82], b64([0xe2, 0x82])],
    ['invalid UTF-8 (overlong NUL)', 'X', [0xc0, 0x80], b64([0xc0, 0x80])],
    [
      'valid UTF-8 with control chars -> string',
      'MESSAGE',
      bytes('\x1b[31mred\x1b[0m\n'),
      '\x1b[31mred\x1b[0m\n',
    ],
    ['valid multi-byte UTF-8 -> string', 'COREDUMP_COMM', bytes('café ✓'), 'café ✓'],
    ['UTF-8 BOM is kept', 'X', [0xef, 0xbb, 0xbf, 0x41], '\uFEFFA'],
    ['empty byte array -> empty string', 'X', [], ''],
    ['null (over 4096 bytes) is omitted', 'COREDUMP_PROC_MAPS', null, undefined],
    ['multi-valued strings', 'COREDUMP_CGROUP', ['/a', '/b'], ['/a', '/b']],
    [
      'multi-valued mixed string/bytes/invalid',
      'X',
      ['a', bytes('b\x01'), [0xff]],
      ['a', 'b\x01', b64([0xff])],
    ],
    ['multi-valued with a null element drops it', 'X', ['a', null, 'b'], ['a', 'b']],
    ['multi-valued all null is omitted', 'X', [null, null], undefined],
    ['integer field -> number', 'COREDUMP_PID', '4242', 4242],
    ['integer field zero', 'COREDUMP_UID', '0', 0],
    ['integer field negative', 'ERRNO', '-2', -2],
    ['integer field given as bytes', 'COREDUMP_SIGNAL', bytes('11'), 11],
    ['integer field non-numeric stays', 'COREDUMP_SIGNAL', 'SIGSEGV', 'SIGSEGV'],
    ['integer field leading zeros stays', 'PRIORITY', '02', '02'],
    [
      'integer field beyond 2^53 stays',
      'COREDUMP_UID',
      '99999999999999999999',
      '99999999999999999999',
    ],
    ['integer field multi-valued stays', '_PID', ['1', '2'], ['1', '2']],
    [
      'non-integer field stays a string',
      'COREDUMP_RLIMIT',
      '18446744073709551615',
      '18446744073709551615',
    ],
    [
      'COREDUMP_TIMESTAMP whole seconds',
      'COREDUMP_TIMESTAMP',
      '1700000000000000',
      '2023-11-14T22:13:20Z',
    ],
    [
      'COREDUMP_TIMESTAMP sub-second',
      'COREDUMP_TIMESTAMP',
      '1700000000123456',
      '2023-11-14T22:13:20.123456Z',
    ],
    ['COREDUMP_TIMESTAMP non-numeric stays', 'COREDUMP_TIMESTAMP', 'soon', 'soon'],
    ['__MONOTONIC_TIMESTAMP stays a string', '__MONOTONIC_TIMESTAMP', '123456789', '123456789'],
    ['COREDUMP (core bytes) dropped', 'COREDUMP', [0x7f, 0x45, 0x4c, 0x46], undefined],
    ['COREDUMP null dropped', 'COREDUMP', null, undefined],
    ['__SEQNUM dropped', '__SEQNUM', '42', undefined],
    ['__SEQNUM_ID dropped', '__SEQNUM_ID', 'abc', undefined],
    ['unexpected boolean omitted', 'X', true, undefined],
    ['unexpected object omitted', 'X', { a: 1 }, undefined],
  ])('%s', (_label, key, value, expected) => {
    const { fields } = parseJournalJsonObject({ [key]: value });
    if (expected === undefined) {
      expect(Object.keys(fields)).toEqual([]);
    } else {
      expect(fields).toStrictEqual({ [key]: expected });
    }
  });

  it('has the integer field set from the contract', () => {
    expect([...INTEGER_FIELDS].sort()).toEqual(
      [
        'COREDUMP_PID',
        'COREDUMP_UID',
        'COREDUMP_GID',
        'COREDUMP_SIGNAL',
        'COREDUMP_SESSION',
        'COREDUMP_OWNER_UID',
        'PRIORITY',
        '_PID',
        '_UID',
        '_GID',
        'ERRNO',
        'CODE_LINE',
        'SYSLOG_PID',
      ].sort(),
    );
  });
});

describe('parseJournalJsonLine: whole entries', () => {
  const cursor = 's=0123;i=1a;b=abcd;m=99;t=5f0;x=deadbeef';
  it.each<[string, string, ParsedJournalEntry]>([
    [
      'realistic coredump entry',
      JSON.stringify({
        __CURSOR: cursor,
        __REALTIME_TIMESTAMP: '1700000001234567',
        __MONOTONIC_TIMESTAMP: '5000000',
        __SEQNUM: '7',
        __SEQNUM_ID: 'ffff',
        _BOOT_ID: '0123456789abcdef0123456789abcdef',
        MESSAGE_ID: 'fc2e22bc6ee647b6b90729ab34a250b1',
        PRIORITY: '2',
        SYSLOG_IDENTIFIER: 'systemd-coredump',
        COREDUMP_PID: '4242',
        COREDUMP_UID: '1000',
        COREDUMP_SIGNAL: '11',
        COREDUMP_SIGNAL_NAME: 'SIGSEGV',
        COREDUMP_TIMESTAMP: '1700000000000000',
        COREDUMP_PROC_AUXV: [33, 0, 0, 0, 10, 0, 255, 1],
        COREDUMP_ENVIRON: null,
        COREDUMP: null,
      }),
      {
        cursor,
        realtimeUsec: '1700000001234567',
        fields: {
          __REALTIME_TIMESTAMP: '2023-11-14T22:13:21.234567Z',
          __MONOTONIC_TIMESTAMP: '5000000',
          _BOOT_ID: '0123456789abcdef0123456789abcdef',
          MESSAGE_ID: 'fc2e22bc6ee647b6b90729ab34a250b1',
          PRIORITY: 2,
          SYSLOG_IDENTIFIER: 'systemd-coredump',
          COREDUMP_PID: 4242,
          COREDUMP_UID: 1000,
          COREDUMP_SIGNAL: 11,
          COREDUMP_SIGNAL_NAME: 'SIGSEGV',
          COREDUMP_TIMESTAMP: '2023-11-14T22:13:20Z',
          COREDUMP_PROC_AUXV: b64([33, 0, 0, 0, 10, 0, 255, 1]),
        },
      },
    ],
    [
      'realtime timestamp on a whole second',
      '{"__REALTIME_TIMESTAMP":"1700000000000000"}',
      {
        realtimeUsec: '1700000000000000',
        fields: { __REALTIME_TIMESTAMP: '2023-11-14T22:13:20Z' },
      },
    ],
    ['no cursor, no realtime', '{"MESSAGE":"hi"}', { fields: { MESSAGE: 'hi' } }],
    ['cursor extraction only', `{"__CURSOR":"${cursor}"}`, { cursor, fields: {} }],
    [
      'surrounding whitespace and CR are tolerated',
      ' {"MESSAGE":"x"}\r',
      { fields: { MESSAGE: 'x' } },
    ],
  ])('%s', (_label, line, expected) => {
    expect(parseJournalJsonLine(line)).toStrictEqual(expected);
  });

  it('keeps a field literally named __proto__ as data', () => {
    const entry = parseJournalJsonLine('{"__proto__":"x","A":"1"}');
    expect(Object.getPrototypeOf(entry.fields)).toBe(Object.prototype);
    expect(Object.keys(entry.fields).sort()).toEqual(['A', '__proto__']);
  });

  it.each<[string, string, RegExp]>([
    ['empty line', '', /not valid JSON/],
    ['truncated JSON', '{"MESSAGE":"x"', /not valid JSON/],
    ['plain text', 'Finishing after writing 3 entries', /not valid JSON/],
    ['array', '[1,2]', /not a JSON object \(got an array\)/],
    ['null', 'null', /not a JSON object \(got null\)/],
    ['number', '42', /not a JSON object \(got number\)/],
    ['string', '"x"', /not a JSON object \(got string\)/],
  ])('%s throws', (_label, line, message) => {
    expect(() => parseJournalJsonLine(line)).toThrow(message);
  });

  it('bounds the error message for huge bad lines', () => {
    expect(() => parseJournalJsonLine(`{${'x'.repeat(100_000)}`)).toThrow(/…"$/);
  });
});
