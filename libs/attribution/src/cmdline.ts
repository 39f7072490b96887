/**
 * Split a command line the way systemd-coredump quotes `COREDUMP_CMDLINE` and
 * `COREDUMP_CONTAINER_CMDLINE` back into argv.
 *
 * systemd joins argv with spaces and quotes an argument only when it needs it:
 * - `$'…'` (POSIX mode, current systemd) with C escapes `\\`, `\'`, `\n`, `\t`, `\xNN`, `\NNN`;
 * - `"…"` (older systemd) with `\"`, `\\`, `` \` ``, `\$` escaped;
 * - `'…'` is taken literally, as a shell would.
 * Adjacent quoted and unquoted pieces form one argument (shell semantics). Outside quotes a
 * backslash is kept literally: systemd always quotes arguments containing one, and even older
 * systemd versions that did not quote at all then round-trip unchanged. An unterminated quote
 * runs to the end of the line instead of failing, as the value may have been truncated.
 *
 * @param cmdline the quoted command line
 * @returns the arguments
 */
export function splitCommandLine(cmdline: string): string[] {
  const args: string[] = [];
  let current = '';
  let inArg = false;
  let i = 0;
  const n = cmdline.length;
  while (i < n) {
    const c = cmdline[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inArg) args.push(current);
      current = '';
      inArg = false;
      i++;
    } else if (c === '$' && cmdline[i + 1] === "'") {
      const r = readAnsiC(cmdline, i + 2);
      current += r.value;
      i = r.end;
      inArg = true;
    } else if (c === "'") {
      const close = cmdline.indexOf("'", i + 1);
      const end = close === -1 ? n : close;
      current += cmdline.slice(i + 1, end);
      i = end + 1;
      inArg = true;
    } else if (c === '"') {
      const r = readDoubleQuoted(cmdline, i + 1);
      current += r.value;
      i = r.end;
      inArg = true;
    } else {
      current += c;
      inArg = true;
      i++;
    }
  }
  if (inArg) args.push(current);
  return args;
}

/** Read a `"…"` body starting after the opening quote; returns the index after the close. */
function readDoubleQuoted(s: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start;
  while (i < s.length && s[i] !== '"') {
    // In a POSIX shell only these four characters are escapable inside double quotes.
    if (s[i] === '\\' && i + 1 < s.length && '"\\`$'.includes(s[i + 1])) {
      value += s[i + 1];
      i += 2;
    } else {
      value += s[i++];
    }
  }
  return { value, end: i + 1 };
}

const C_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/**
 * Read a `$'…'` body starting after the opening quote. Numeric escapes denote bytes, so they
 * are collected as bytes and decoded as UTF-8 together with the literal text around them.
 */
function readAnsiC(s: string, start: number): { value: string; end: number } {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  const pushText = (t: string): void => {
    for (const b of encoder.encode(t)) bytes.push(b);
  };
  let i = start;
  while (i < s.length && s[i] !== "'") {
    if (s[i] !== '\\' || i + 1 >= s.length) {
      pushText(s[i++]);
      continue;
    }
    const e = s[i + 1];
    const hex = /^x([0-9a-fA-F]{1,2})/.exec(s.slice(i + 1, i + 4));
    const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1, i + 4));
    if (hex) {
      bytes.push(parseInt(hex[1], 16));
      i += 1 + hex[0].length;
    } else if (oct) {
      bytes.push(parseInt(oct[0], 8) & 0xff);
      i += 1 + oct[0].length;
    } else if (e in C_ESCAPES) {
      pushText(C_ESCAPES[e]);
      i += 2;
    } else {
      // Unknown escape: keep both characters, as bash does.
      pushText(`\\${e}`);
      i += 2;
    }
  }
  return { value: new TextDecoder('utf-8').decode(Uint8Array.from(bytes)), end: i + 1 };
}
