import { describe, it, expect } from '@jest/globals';
import { signalName } from './signals.js';

describe('signalName', () => {
  it.each<[number, string | undefined]>([
    [1, 'SIGHUP'],
    [4, 'SIGILL'],
    [5, 'SIGTRAP'],
    [6, 'SIGABRT'],
    [7, 'SIGBUS'],
    [8, 'SIGFPE'],
    [9, 'SIGKILL'],
    [10, 'SIGUSR1'],
    [11, 'SIGSEGV'],
    [15, 'SIGTERM'],
    [16, 'SIGSTKFLT'],
    [17, 'SIGCHLD'],
    [24, 'SIGXCPU'],
    [25, 'SIGXFSZ'],
    [30, 'SIGPWR'],
    [31, 'SIGSYS'],
    [32, undefined],
    [33, undefined],
    [34, 'SIGRTMIN'],
    [35, 'SIGRTMIN+1'],
    [50, 'SIGRTMIN+16'],
    [63, 'SIGRTMIN+29'],
    [64, 'SIGRTMAX'],
    [65, undefined],
    [0, undefined],
    [-11, undefined],
    [11.5, undefined],
    [NaN, undefined],
    [Infinity, undefined],
  ])('%d -> %s', (signal, expected) => {
    expect(signalName(signal)).toBe(expected);
  });
});
