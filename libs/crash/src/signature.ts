import { hash } from 'node:crypto';

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

/** Distinct frame strings shared between summaries (the same functions crash again and again). */
const MAX_INTERNED = 50_000;
const interned = new Map<string, string>();
/** One summary object per signature: a crash loop's thousand cores share one. */
const summaries = new Map<string, CrashSummary>();
/**
 * Summaries by what is hashed: a crash loop dumps the same crash again and again, so most cores
 * of a node reuse an earlier answer without hashing (10,000 sha256 cost ~50 ms of the index build).
 */
const byHashInput = new Map<string, CrashSummary>();

/**
 * A flat copy of `text`, shared with earlier equal ones. A substring of the message would keep
 * the whole message alive (V8 slices point into their parent), which is what the index avoids.
 */
function intern(text: string): string {
  const known = interned.get(text);
  if (known !== undefined) return known;
  const copy = Buffer.from(text, 'utf8').toString('utf8');
  if (interned.size < MAX_INTERNED) interned.set(copy, copy);
  return copy;
}

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}

/** A frame without its address: the function, else the module and offset. */
function normalizeFrame(frame: StackFrame): SignatureFrame | undefined {
  const module = frame.module ? intern(basename(frame.module)) : undefined;
  if (frame.function) {
    return {
      function: intern(frame.function.replace(CLONE_SUFFIX, '')),
      ...(module ? { module } : {}),
    };
  }
  if (module && frame.offset) return { module, offset: intern(frame.offset) };
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
 * SIGNATURE_LENGTH hex characters. Cores with one signature share one summary object (the first
 * one's frames: they hash the same, only the module names of symbolized frames may differ).
 * Undefined when the crashing thread has no usable frame (a
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
  const hashInput = JSON.stringify([
    SIGNATURE_VERSION,
    input.executable ?? '',
    String(input.signal ?? ''),
    hashed,
  ]);
  const known = byHashInput.get(hashInput);
  if (known) return known;
  const signature = hash('sha256', hashInput, 'buffer')
    // Hex of the first bytes: a fresh 16-character string, not a slice of the 64-character one.
    .toString('hex', 0, SIGNATURE_LENGTH / 2);
  const summary = summaries.get(signature) ?? { signature, topFrames };
  if (summaries.size < MAX_INTERNED) summaries.set(signature, summary);
  if (byHashInput.size < MAX_INTERNED) byHashInput.set(hashInput, summary);
  return summary;
}
