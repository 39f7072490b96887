import { createHash } from 'node:crypto';

import type { StackFrame, StackTrace } from './stack-trace.js';

/** A frame as the signature sees it: no address (ASLR moves it between runs). */
export interface SignatureFrame {
  function?: string;
  module?: string;
  /** Only for frames without a symbol: the offset in the module is then what identifies it. */
  offset?: string;
}

/** What the index keeps of a crash's stack: its signature and the frames it was made of. */
export interface CrashSummary {
  signature: string;
  topFrames: SignatureFrame[];
}

/** Frames of the crashing thread that go into the signature. */
export const SIGNATURE_FRAMES = 5;
/** Hex characters of the sha256 kept (64 bits: no collision among any realistic set of crashes). */
export const SIGNATURE_LENGTH = 16;
/** Bumped whenever the normalization changes, so old and new signatures never mix. */
const SIGNATURE_VERSION = 'v1';

/**
 * Frames that only deliver the signal, the same for every crash that goes through them: the
 * pthread_kill/raise/abort chain of abort() and failed assertions, and the kernel's signal
 * trampoline. They are skipped at the top of the stack so that an abort() in `parse_config` and
 * one in `flush_cache` differ (their first own frame differs), while two runs of one crash agree.
 */
const DELIVERY_FRAMES = new Set([
  '__pthread_kill_implementation',
  '__pthread_kill_internal',
  '__pthread_kill',
  'pthread_kill',
  '__GI___pthread_kill',
  'raise',
  '__GI_raise',
  'gsignal',
  'abort',
  '__GI_abort',
  '__assert_fail_base',
  '__assert_fail',
  '__GI___assert_fail',
  '__assert_perror_fail',
  '__libc_message',
  '__libc_message_impl',
  '__fortify_fail',
  '__stack_chk_fail',
  '__restore_rt',
  '__kernel_sigreturn',
  '__kernel_rt_sigreturn',
  '__kernel_vsyscall',
]);

// GCC clone suffixes (`foo.isra.0`, `foo.constprop.3`, `foo.part.1`, `foo.cold`) name one function.
const CLONE_SUFFIX = /(?:\.(?:isra|constprop|part|cold|lto_priv)(?:\.\d+)?)+$/;

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}

/** A frame without its address: the function, else the module and offset. */
export function normalizeFrame(frame: StackFrame): SignatureFrame | undefined {
  const module = frame.module ? basename(frame.module) : undefined;
  if (frame.function) {
    return {
      function: frame.function.replace(CLONE_SUFFIX, ''),
      ...(module ? { module } : {}),
    };
  }
  if (module && frame.offset) return { module, offset: frame.offset };
  return undefined;
}

/**
 * The normalized top frames of the crashing thread: signal-delivery frames at the top skipped
 * (unless that leaves nothing), frames with neither a symbol nor a module dropped, at most
 * SIGNATURE_FRAMES.
 */
export function signatureFrames(trace: StackTrace): SignatureFrame[] {
  const frames = (trace.threads.find((t) => t.crashing) ?? trace.threads[0])?.frames ?? [];
  let start = 0;
  while (start < frames.length && DELIVERY_FRAMES.has(frames[start].function ?? '')) start++;
  const own = start < frames.length ? frames.slice(start) : frames;
  const out: SignatureFrame[] = [];
  for (const frame of own) {
    if (out.length >= SIGNATURE_FRAMES) break;
    const normal = normalizeFrame(frame);
    if (normal) out.push(normal);
  }
  return out;
}

export interface SignatureInput {
  /** COREDUMP_EXE (its base name is used: the same program installed elsewhere is the same). */
  executable?: string;
  /** COREDUMP_SIGNAL_NAME, else the number. */
  signal?: string | number;
}

/** The executable's name as a group shows it and the signature hashes it. */
export function executableName(exe: string | undefined, comm: string | undefined): string {
  return (exe && basename(exe)) || comm || '';
}

/**
 * The crash's signature: sha256 of (executable, signal, normalized top frames), first
 * SIGNATURE_LENGTH hex characters. Undefined when the crashing thread has no usable frame (a
 * signature of the executable and signal alone would lump unrelated crashes together).
 */
export function crashSummary(
  trace: StackTrace | undefined,
  input: SignatureInput,
): CrashSummary | undefined {
  if (!trace) return undefined;
  const topFrames = signatureFrames(trace);
  if (topFrames.length === 0) return undefined;
  // Module names of symbolized frames are shown, not hashed: a function is its name, wherever
  // its library was loaded from (libc.so.6 vs libc-2.31.so).
  const hashed = topFrames.map((f) => (f.function ? [f.function] : [f.module, f.offset]));
  const signature = createHash('sha256')
    .update(
      JSON.stringify([
        SIGNATURE_VERSION,
        input.executable ?? '',
        String(input.signal ?? ''),
        hashed,
      ]),
    )
    .digest('hex')
    .slice(0, SIGNATURE_LENGTH);
  return { signature, topFrames };
}
