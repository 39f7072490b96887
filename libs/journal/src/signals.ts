// Linux signal numbers for the generic ABI used by x86_64 and arm64 (and most others; alpha,
// mips, sparc and parisc differ, which is why systemd also records COREDUMP_SIGNAL_NAME).
const SIGNALS: readonly (string | undefined)[] = [
  undefined, // 0 is not a signal
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGILL',
  'SIGTRAP',
  'SIGABRT',
  'SIGBUS',
  'SIGFPE',
  'SIGKILL',
  'SIGUSR1',
  'SIGSEGV',
  'SIGUSR2',
  'SIGPIPE',
  'SIGALRM',
  'SIGTERM',
  'SIGSTKFLT',
  'SIGCHLD',
  'SIGCONT',
  'SIGSTOP',
  'SIGTSTP',
  'SIGTTIN',
  'SIGTTOU',
  'SIGURG',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGVTALRM',
  'SIGPROF',
  'SIGWINCH',
  'SIGIO',
  'SIGPWR',
  'SIGSYS',
];

// glibc reserves 32 and 33 for its threading implementation, so userland SIGRTMIN is 34.
const SIGRTMIN = 34;
const SIGRTMAX = 64;

/**
 * Name of a Linux signal number (generic / x86_64 numbering), with the `SIG` prefix.
 *
 * Real-time signals are named relative to glibc's SIGRTMIN (34): `SIGRTMIN`, `SIGRTMIN+1`, …,
 * with 64 named `SIGRTMAX`.
 *
 * @param signal signal number, e.g. `COREDUMP_SIGNAL`
 * @returns e.g. `'SIGSEGV'` for 11, or undefined for numbers that name no signal (0, 32, 33,
 *   > 64, negative or non-integer)
 */
export function signalName(signal: number): string | undefined {
  if (!Number.isInteger(signal) || signal < 1) return undefined;
  if (signal < SIGNALS.length) return SIGNALS[signal];
  if (signal === SIGRTMIN) return 'SIGRTMIN';
  if (signal === SIGRTMAX) return 'SIGRTMAX';
  if (signal > SIGRTMIN && signal < SIGRTMAX) return `SIGRTMIN+${signal - SIGRTMIN}`;
  return undefined;
}
