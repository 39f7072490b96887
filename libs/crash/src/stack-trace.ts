/**
 * Pure parser of the stack trace systemd-coredump writes into the journal `MESSAGE` of a
 * coredump entry (src/shared/elf-util.c):
 *
 *   Process 5889 (c1) of user 0 dumped core.
 *
 *   Module /usr/bin/c1 with build-id 0123abcd…            (systemd ≥ 249, when known)
 *   Module libc.so.6 from deb libc6-2.36-9, build-id=…     (package metadata, when present)
 *   Stack trace of thread 5889:
 *   #0  0x0000560217375135 crash_here (c1 + 0x1135)
 *   #3  0x00007fb1266f624a n/a (libc.so.6 + 0x2724a)
 *
 *   Stack trace of thread 5890:
 *   …
 *   ELF object binary architecture: AMD x86-64
 *
 * The first thread listed is the one that received the signal (systemd-coredump starts with the
 * crashing thread). Anything it does not recognize is skipped; it never throws.
 */

/** One frame of a thread's stack. */
export interface StackFrame {
  /** Frame number (#0 is the innermost). */
  n: number;
  /** Absolute address, `0x…` as printed (differs between runs: ASLR). */
  address: string;
  /** Symbol name; absent when systemd-coredump printed `n/a` (no symbols). */
  function?: string;
  /** The ELF module (executable or shared object) the address falls in. */
  module?: string;
  /** Offset of the address in the module, `0x…` (stable across runs of one build). */
  offset?: string;
}

export interface StackThread {
  tid: number;
  /** Whether this is the thread that received the signal (the first one listed). */
  crashing: boolean;
  frames: StackFrame[];
}

export interface StackModule {
  name: string;
  buildId?: string;
  /** Package metadata systemd-coredump found in the module (`deb libc6-2.36-9`, …). */
  package?: string;
}

export interface StackTrace {
  /** Thread id of the crashing thread (the first one listed). */
  crashingThread?: number;
  threads: StackThread[];
  modules?: StackModule[];
  /** `ELF object binary architecture: …` */
  architecture?: string;
  /** The message was cut short (it does not end with a complete line). */
  truncated?: boolean;
}

/** Longest message looked at: systemd prints at most 64 threads of 64 frames. */
const MAX_MESSAGE_CHARS = 1 << 20;

const THREAD_LINE = /^Stack trace of thread (\d+):?$/;
// `#N  0xADDR FUNCTION (MODULE + 0xOFFSET)`; FUNCTION may itself contain spaces and parentheses
// (demangled C++), so the module part is matched at the end of the line.
const FRAME_LINE = /^#(\d+)\s+(0x[0-9a-fA-F]+)(?:\s+(.*?))?\s*$/;
const FRAME_LOCATION = /^(.*?)\s*\(([^()]*?) \+ (0x[0-9a-fA-F]+)\)$/;
const MODULE_LINE =
  /^Module (\S+?)(?: from (.+?))?(?:,? (?:with )?build-id[= ]([0-9a-fA-F]+))?(?: without build-id)?\.?$/;
const ARCH_LINE = /^ELF object binary architecture: (.+)$/;

function known(text: string | undefined): string | undefined {
  const t = text?.trim();
  return t && t !== 'n/a' && t !== '??' ? t : undefined;
}

function parseFrame(line: string): StackFrame | undefined {
  const m = FRAME_LINE.exec(line);
  if (!m) return undefined;
  const frame: StackFrame = { n: Number(m[1]), address: m[2].toLowerCase() };
  const rest = m[3] ?? '';
  const loc = FRAME_LOCATION.exec(rest);
  const fn = known(loc ? loc[1] : rest);
  if (fn) frame.function = fn;
  const module = known(loc?.[2]);
  if (module) frame.module = module;
  if (loc && module) frame.offset = loc[3].toLowerCase();
  return frame;
}

/**
 * The stack trace in a coredump journal message, or undefined when the message holds none
 * (not a string, no `Stack trace of thread` line, another language's text). With
 * `crashingThreadOnly`, parsing stops after the first thread (what a signature needs).
 */
export function parseStackTrace(
  message: unknown,
  options: { crashingThreadOnly?: boolean } = {},
): StackTrace | undefined {
  if (typeof message !== 'string' || !message.includes('Stack trace of thread')) return undefined;
  const text = message.length > MAX_MESSAGE_CHARS ? message.slice(0, MAX_MESSAGE_CHARS) : message;
  // systemd-coredump ends every message with a newline: without one, the last line was cut.
  const truncated = !text.endsWith('\n');
  const lines = text.split('\n');
  if (truncated) {
    // A cut line is kept only when it still parses completely (the cut fell at its end).
    const last = lines[lines.length - 1].trimEnd();
    const frame = FRAME_LINE.test(last) && FRAME_LOCATION.test(last.replace(FRAME_LINE, '$3'));
    if (!frame) lines.pop();
  }
  const threads: StackThread[] = [];
  const modules: StackModule[] = [];
  let architecture: string | undefined;
  let current: StackThread | undefined;
  for (const raw of lines) {
    // `coredumpctl info` indents these lines; the journal message does not. Accept both.
    const line = raw.trim();
    if (!line) {
      // The index needs only the crashing thread: stop at the end of its block.
      if (options.crashingThreadOnly && current) break;
      current = undefined;
      continue;
    }
    const thread = THREAD_LINE.exec(line);
    if (thread) {
      current = { tid: Number(thread[1]), crashing: threads.length === 0, frames: [] };
      threads.push(current);
      continue;
    }
    if (current && line.startsWith('#')) {
      const frame = parseFrame(line);
      if (frame) current.frames.push(frame);
      continue;
    }
    const module = MODULE_LINE.exec(line);
    if (module) {
      const entry: StackModule = { name: module[1] };
      if (module[3]) entry.buildId = module[3].toLowerCase();
      if (module[2]) entry.package = module[2];
      modules.push(entry);
      current = undefined;
      continue;
    }
    const arch = ARCH_LINE.exec(line);
    if (arch) {
      architecture = arch[1];
      current = undefined;
    }
  }
  if (threads.length === 0) return undefined;
  return {
    crashingThread: threads[0].tid,
    threads,
    ...(modules.length ? { modules } : {}),
    ...(architecture ? { architecture } : {}),
    ...(truncated ? { truncated } : {}),
  };
}
