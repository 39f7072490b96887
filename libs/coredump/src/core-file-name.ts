import { Buffer } from 'node:buffer';

/** Compression of a stored core, derived from the file name suffix systemd-coredump appends. */
export type Compression = 'zst' | 'lz4' | 'xz' | 'none';

/**
 * The metadata systemd-coredump encodes in an external core's file name:
 * `core.COMM.UID.BOOTID.PID.USEC[.zst|.lz4|.xz]`.
 */
export interface CoreFileName {
  /** `/proc/PID/comm` of the crashed process, with systemd's `\xNN` escapes undone. */
  comm: string;
  /** UID of the crashed process as seen from the host. */
  uid: number;
  /** Boot ID (32 lowercase hex characters) of the boot the crash happened in. */
  bootId: string;
  /** PID of the crashed process as seen from the host. */
  pid: number;
  /** Crash time in µs since the epoch, kept as a string because µs values exceed 2^53 margins. */
  timestampUsec: string;
  /** Compression derived from the suffix. */
  compression: Compression;
}

// Suffix -> compression. Only these three are produced by systemd-coredump (fixed at build time).
const SUFFIXES: ReadonlyArray<readonly [string, Exclude<Compression, 'none'>]> = [
  ['.zst', 'zst'],
  ['.lz4', 'lz4'],
  ['.xz', 'xz'],
];

// systemd prints numbers with %u / %lu, so a canonical decimal has no sign and no leading zeros.
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
// SD_ID128_FORMAT_STR is always lowercase.
const BOOT_ID = /^[0-9a-f]{32}$/;
const UINT32_MAX = 0xffffffff;

/**
 * Whether a directory entry is a candidate for a regular (finished) core file.
 *
 * systemd-coredump first writes to an unnamed or `.#core…` temporary file and links it into
 * place only when complete, so anything not starting with `core.` is in progress or foreign.
 * Names with `/` or NUL can never be a single directory entry and are rejected outright so the
 * result can be used as a path-traversal guard.
 *
 * @param name a bare file name (not a path)
 * @returns true when the name starts with `core.` and is otherwise a safe single path segment
 */
export function isCoreFileName(name: string): boolean {
  return name.length > 'core.'.length && name.startsWith('core.') && !/[/\0]/.test(name);
}

/**
 * Compression of a core file, judged by its suffix.
 *
 * @param name file name (or path)
 * @returns `'zst'`, `'lz4'` or `'xz'` for those suffixes, else `'none'`
 */
export function compressionOf(name: string): Compression {
  for (const [suffix, compression] of SUFFIXES) {
    if (name.endsWith(suffix)) return compression;
  }
  return 'none';
}

/**
 * The name without its compression suffix, e.g. the name `coredumpctl dump` would give the
 * decompressed core.
 *
 * @param name file name (or path)
 * @returns `name` minus a trailing `.zst`/`.lz4`/`.xz`; unchanged when there is none
 */
export function stripCompressionSuffix(name: string): string {
  for (const [suffix] of SUFFIXES) {
    if (name.endsWith(suffix)) return name.slice(0, -suffix.length);
  }
  return name;
}

/**
 * Undo systemd's `xescape()` of COMM: `.`, `/`, space, `\`, control characters and every byte
 * ≥ 0x7f are written as `\xNN`. The escapes are byte-wise, so a multi-byte UTF-8 comm is
 * reassembled from bytes before decoding. A backslash not followed by two hex digits cannot come
 * from systemd; it is kept literally rather than rejecting the whole name.
 */
function unescapeComm(escaped: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length;) {
    const m = /^\\x([0-9a-fA-F]{2})/.exec(escaped.slice(i, i + 4));
    if (m) {
      bytes.push(parseInt(m[1], 16));
      i += 4;
      continue;
    }
    // Copy one code point as its UTF-8 bytes (names on disk may already contain raw UTF-8).
    const cp = escaped.codePointAt(i) ?? 0;
    const ch = String.fromCodePoint(cp);
    bytes.push(...Buffer.from(ch, 'utf8'));
    i += ch.length;
  }
  // Non-fatal decoding: comm is truncated to 15 bytes by the kernel and may end mid-character;
  // a replacement character there is more useful than refusing the whole file.
  return new TextDecoder('utf-8').decode(Uint8Array.from(bytes));
}

/**
 * Parse a systemd-coredump file name `core.COMM.UID.BOOTID.PID.USEC[.zst|.lz4|.xz]`.
 *
 * COMM cannot contain a literal `.` (systemd escapes it as `\x2e`), so the name splits into
 * exactly six dot-separated parts once the compression suffix is removed.
 *
 * @param name a bare file name
 * @returns the decoded fields, or null when the name does not have systemd's shape
 */
export function parseCoreFileName(name: string): CoreFileName | null {
  if (!isCoreFileName(name)) return null;
  const compression = compressionOf(name);
  const parts = stripCompressionSuffix(name).split('.');
  if (parts.length !== 6) return null;
  const [, rawComm, uidText, bootId, pidText, usec] = parts;
  if (rawComm === '' || !BOOT_ID.test(bootId)) return null;
  if (!DECIMAL.test(uidText) || !DECIMAL.test(pidText) || !DECIMAL.test(usec)) return null;
  const uid = Number(uidText);
  const pid = Number(pidText);
  // UIDs are 32-bit; PIDs are positive and far below 2^31 (pid_max is at most 2^22).
  if (uid > UINT32_MAX || pid < 1 || pid > 0x7fffffff) return null;
  return { comm: unescapeComm(rawComm), uid, bootId, pid, timestampUsec: usec, compression };
}
