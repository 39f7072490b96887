import { signalName } from '@koredump/journal';

/** A signal as the user wrote it, normalised: `11`, `SIGSEGV`, `segv`, `sigsegv`. */
export interface SignalSpec {
  number?: number;
  name: string;
}

/**
 * Parses a signal given on the command line. Numbers are kept as given (the API compares them to
 * COREDUMP_SIGNAL); names get the `SIG` prefix and upper case.
 * @throws Error for anything that names no signal
 */
export function parseSignal(input: string): SignalSpec {
  const s = input.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    const name = signalName(n);
    if (!name) throw new Error(`${s} is not a signal number`);
    return { number: n, name };
  }
  const upper = s.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  for (let n = 1; n <= 64; n++) {
    if (signalName(n) === name) return { number: n, name };
  }
  throw new Error(
    `unknown signal "${input}" (use a number like 11 or a name like SIGSEGV or segv)`,
  );
}

/** True when the record's signal is this one (by name when the record has one, else by number). */
export function signalMatches(
  spec: SignalSpec,
  core: { COREDUMP_SIGNAL?: unknown; COREDUMP_SIGNAL_NAME?: unknown },
): boolean {
  if (typeof core.COREDUMP_SIGNAL_NAME === 'string') return core.COREDUMP_SIGNAL_NAME === spec.name;
  return spec.number !== undefined && Number(core.COREDUMP_SIGNAL) === spec.number;
}
