import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseStackTrace } from './stack-trace.js';

/**
 * Fixtures: the MESSAGE of real systemd-coredump 252 journal entries of this project's host
 * (c-*.txt: gcc -g, gcc -s, a pthread program crashing in a worker thread, abort(), a binary
 * systemd-coredump could not read so it printed its path and no symbols), plus
 * hand-written ones: module lines in the format of systemd's elf-util.c (newer versions print
 * them) and a Go panic's text.
 */
const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

describe('parseStackTrace', () => {
  it('parses a program with symbols: frames with function, module and offset', () => {
    const trace = parseStackTrace(fixture('c-symbols.txt'));
    expect(trace).toEqual({
      crashingThread: 9578,
      architecture: 'AMD x86-64',
      threads: [
        {
          tid: 9578,
          crashing: true,
          frames: [
            {
              n: 0,
              address: '0x0000557c51410145',
              function: 'crash_here',
              module: 'cgsym',
              offset: '0x1145',
            },
            {
              n: 1,
              address: '0x0000557c51410166',
              function: 'level2',
              module: 'cgsym',
              offset: '0x1166',
            },
            {
              n: 2,
              address: '0x0000557c5141018d',
              function: 'main',
              module: 'cgsym',
              offset: '0x118d',
            },
            {
              n: 3,
              address: '0x00007f0c63b4224a',
              function: '__libc_start_call_main',
              module: 'libc.so.6',
              offset: '0x2724a',
            },
            {
              n: 4,
              address: '0x00007f0c63b42305',
              function: '__libc_start_main_impl',
              module: 'libc.so.6',
              offset: '0x27305',
            },
            {
              n: 5,
              address: '0x0000557c51410071',
              function: '_start',
              module: 'cgsym',
              offset: '0x1071',
            },
          ],
        },
      ],
    });
  });

  it('parses a stripped program: n/a frames keep module and offset, no function', () => {
    const trace = parseStackTrace(fixture('c-stripped.txt'))!;
    expect(trace.truncated).toBeUndefined();
    const frames = trace.threads[0].frames;
    expect(frames).toHaveLength(6);
    expect(frames[0]).toEqual({
      n: 0,
      address: '0x000055ca0498d145',
      module: 'cgstripped',
      offset: '0x1145',
    });
    expect(frames[3].function).toBe('__libc_start_call_main');
  });

  it('parses every thread of a multi-threaded program; the first listed is the crashing one', () => {
    const trace = parseStackTrace(fixture('c-threads.txt'))!;
    expect(trace.crashingThread).toBe(9588);
    expect(trace.threads.map((t) => [t.tid, t.crashing, t.frames.length])).toEqual([
      [9588, true, 4],
      [9587, false, 4],
      [9586, false, 6],
    ]);
    expect(trace.threads[0].frames[0].function).toBe('worker_crash');
    expect(trace.threads[2].frames[2]).toMatchObject({ function: 'main', module: 'cgthreads' });
  });

  it('keeps the module path systemd prints when it could not read the binary (no symbols)', () => {
    const trace = parseStackTrace(fixture('c-binary-unreadable.txt'))!;
    expect(trace.threads).toHaveLength(3);
    expect(trace.threads[0].frames[0]).toEqual({
      n: 0,
      address: '0x000055dcc81a4165',
      module: '/tmp/koredump-groups-amN5KC/kd-threads',
      offset: '0x1165',
    });
  });

  it('stops after the crashing thread when asked to (the index needs no more)', () => {
    const trace = parseStackTrace(fixture('c-threads.txt'), { crashingThreadOnly: true })!;
    expect(trace.threads.map((t) => t.tid)).toEqual([9588]);
    expect(trace.threads[0].frames).toEqual(
      parseStackTrace(fixture('c-threads.txt'))!.threads[0].frames,
    );
  });

  it('reads module build-ids and package metadata, and C++ names with spaces and parentheses', () => {
    const trace = parseStackTrace(fixture('module-lines.txt'))!;
    expect(trace.modules).toEqual([
      { name: '/usr/bin/web', buildId: '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567' },
      {
        name: 'libc.so.6',
        package: 'deb libc6-2.36-9+deb12u4.amd64',
        buildId: 'abcdef0123456789abcdef0123456789abcdef01',
      },
      { name: 'linux-vdso.so.1' },
    ]);
    const frames = trace.threads[0].frames;
    expect(frames[0]).toEqual({
      n: 0,
      address: '0x00007f3a1b2c3d4e',
      function: 'std::vector<int, std::allocator<int> >::at(unsigned long) const',
      module: 'libweb.so.1',
      offset: '0x1d4e',
    });
    // Nothing known but the address.
    expect(frames[2]).toEqual({ n: 2, address: '0x00005566778899bb' });
  });

  it.each([
    ['mid-frame', 'c-symbols.txt', '(libc.so', 4],
    ['mid-address', 'c-symbols.txt', '#3  0x00007f0c6', 3],
    ['in a thread header', 'c-threads.txt', 'Stack trace of thread 95', 2],
  ])('keeps what precedes a message cut %s and flags it truncated', (_, name, cutAt, kept) => {
    const full = fixture(name);
    const cut = full.slice(0, full.lastIndexOf(cutAt) + cutAt.length);
    const trace = parseStackTrace(cut)!;
    expect(trace.truncated).toBe(true);
    const counted =
      name === 'c-threads.txt' ? trace.threads.length : trace.threads[0].frames.length;
    expect(counted).toBe(kept);
  });

  it('keeps a last frame the cut left complete', () => {
    const full = fixture('c-symbols.txt');
    const cut = full.slice(0, full.indexOf('(cgsym + 0x1166)') + '(cgsym + 0x1166)'.length);
    const trace = parseStackTrace(cut)!;
    expect(trace.truncated).toBe(true);
    expect(trace.threads[0].frames.map((f) => f.function)).toEqual(['crash_here', 'level2']);
  });

  it.each([
    ['a Go panic', fixture('go-panic.txt')],
    ['no stack trace at all', 'Process 12 (x) of user 0 dumped core.\n'],
    ['empty', ''],
    ['binary garbage', '\u0000\uffff#0 0x (((\n#1\nStack trace of'],
    ['not a string', 42],
    ['the journal base64 form', { base64: 'AAAA' }],
    ['undefined', undefined],
  ])('returns undefined for %s', (_, message) => {
    expect(parseStackTrace(message)).toBeUndefined();
  });

  it('survives garbage between and inside threads', () => {
    const trace = parseStackTrace(
      [
        'Stack trace of thread 7:',
        '#0  0xdeadbeef f (m + 0x1)',
        '#x  not a frame',
        '#1 garbage',
        'goroutine 1 [running]:',
        '#2  0x10 g (m + 0x2)',
        '',
      ].join('\n'),
    )!;
    expect(trace.threads[0].frames.map((f) => f.function)).toEqual(['f', 'g']);
  });

  it('accepts coredumpctl info indentation', () => {
    const indented = fixture('c-symbols.txt')
      .split('\n')
      .map((l) => (l ? `                ${l}` : l))
      .join('\n');
    expect(parseStackTrace(indented)).toEqual(parseStackTrace(fixture('c-symbols.txt')));
  });
});
