import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { crashSummary, executableName, signatureFrames } from './signature.js';
import { parseStackTrace } from './stack-trace.js';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const trace = (name: string) => parseStackTrace(fixture(name));

/** The same message as another run would print it: other pid, other ASLR base addresses. */
function anotherRun(message: string): string {
  return message
    .replace(/\b(Process|thread) (\d+)/g, (_, w: string, n: string) => `${w} ${Number(n) + 1000}`)
    .replace(/0x0000([0-9a-f]{4})/g, '0x00001234');
}

const SEGV = { executable: 'cgsym', signal: 'SIGSEGV' };

describe('crash signature', () => {
  it('is 16 hex characters and the same for another run (pid and addresses differ)', () => {
    const a = crashSummary(trace('c-symbols.txt'), SEGV)!;
    const b = crashSummary(parseStackTrace(anotherRun(fixture('c-symbols.txt'))), SEGV)!;
    expect(a.signature).toMatch(/^[0-9a-f]{16}$/);
    expect(anotherRun(fixture('c-symbols.txt'))).not.toBe(fixture('c-symbols.txt'));
    expect(b.signature).toBe(a.signature);
  });

  it('is pinned (changing the normalization must bump its version)', () => {
    expect(crashSummary(trace('c-symbols.txt'), SEGV)!.signature).toBe(
      crashSummary(trace('c-symbols.txt'), { ...SEGV })!.signature,
    );
    expect(crashSummary(trace('c-symbols.txt'), SEGV)!.signature).toBe('0495f69d642667d4');
  });

  it('differs for another signal, another executable, another place', () => {
    const base = crashSummary(trace('c-symbols.txt'), SEGV)!.signature;
    expect(crashSummary(trace('c-symbols.txt'), { ...SEGV, signal: 'SIGBUS' })!.signature).not.toBe(
      base,
    );
    expect(
      crashSummary(trace('c-symbols.txt'), { ...SEGV, executable: 'other' })!.signature,
    ).not.toBe(base);
    const abort = crashSummary(trace('c-abort.txt'), { ...SEGV, signal: 'SIGABRT' })!;
    expect(abort.signature).not.toBe(base);
  });

  it('uses the top 5 frames by function, without addresses', () => {
    expect(signatureFrames(trace('c-symbols.txt')!)).toEqual([
      { function: 'crash_here', module: 'cgsym' },
      { function: 'level2', module: 'cgsym' },
      { function: 'main', module: 'cgsym' },
      { function: '__libc_start_call_main', module: 'libc.so.6' },
      { function: '__libc_start_main_impl', module: 'libc.so.6' },
    ]);
  });

  it('falls back to module + offset for frames without symbols', () => {
    expect(signatureFrames(trace('c-stripped.txt')!).slice(0, 3)).toEqual([
      { module: 'cgstripped', offset: '0x1145' },
      { module: 'cgstripped', offset: '0x1166' },
      { module: 'cgstripped', offset: '0x118d' },
    ]);
    const stripped = crashSummary(trace('c-stripped.txt'), {
      executable: 'cgstripped',
      signal: 'SIGSEGV',
    })!;
    const again = crashSummary(parseStackTrace(anotherRun(fixture('c-stripped.txt'))), {
      executable: 'cgstripped',
      signal: 'SIGSEGV',
    })!;
    expect(again.signature).toBe(stripped.signature);
  });

  it('uses the base name of a module printed as a path', () => {
    expect(signatureFrames(trace('c-binary-unreadable.txt')!).slice(0, 3)).toEqual([
      { module: 'kd-threads', offset: '0x1165' },
      { module: 'kd-threads', offset: '0x1186' },
      { function: 'start_thread', module: 'libc.so.6' },
    ]);
  });

  it('skips the abort/raise/pthread_kill frames at the top', () => {
    expect(signatureFrames(trace('c-abort.txt')!)[0]).toEqual({
      function: 'main',
      module: 'cgsym',
    });
  });

  it('uses the crashing thread of a multi-threaded program', () => {
    expect(signatureFrames(trace('c-threads.txt')!).map((f) => f.function)).toEqual([
      'worker_crash',
      'worker',
      'start_thread',
      '__clone3',
    ]);
  });

  it('drops GCC clone suffixes and frames with nothing but an address', () => {
    expect(signatureFrames(trace('module-lines.txt')!)).toEqual([
      {
        function: 'std::vector<int, std::allocator<int> >::at(unsigned long) const',
        module: 'libweb.so.1',
      },
      { function: 'handle_request', module: 'web' },
      { function: 'main', module: 'web' },
    ]);
  });

  it('ignores where a symbolized library was loaded from', () => {
    const renamed = fixture('c-symbols.txt').replaceAll('libc.so.6', '/lib/x86_64/libc-2.36.so');
    expect(crashSummary(parseStackTrace(renamed), SEGV)!.signature).toBe(
      crashSummary(trace('c-symbols.txt'), SEGV)!.signature,
    );
  });

  it('is undefined without a trace or without a usable frame', () => {
    expect(crashSummary(undefined, SEGV)).toBeUndefined();
    expect(
      crashSummary(parseStackTrace('Stack trace of thread 1:\n#0  0x10 n/a (n/a + 0x0)\n'), SEGV),
    ).toBeUndefined();
  });

  it('names the executable by the base name of COREDUMP_EXE, else the comm', () => {
    expect(executableName('/usr/local/bin/web', 'web-worker')).toBe('web');
    expect(executableName(undefined, 'web-worker')).toBe('web-worker');
    expect(executableName(undefined, undefined)).toBe('');
  });
});
