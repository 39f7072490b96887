/** Text styling: ANSI on a terminal, nothing elsewhere (pipes, files, NO_COLOR). */
export interface Style {
  bold: (s: string) => string;
  dim: (s: string) => string;
  red: (s: string) => string;
  green: (s: string) => string;
  yellow: (s: string) => string;
}

const identity = (s: string): string => s;

export const PLAIN: Style = {
  bold: identity,
  dim: identity,
  red: identity,
  green: identity,
  yellow: identity,
};

const sgr =
  (on: number, off: number) =>
  (s: string): string =>
    s === '' ? s : `\x1b[${on}m${s}\x1b[${off}m`;

export const ANSI: Style = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
};

/** Removes ANSI SGR sequences (for measuring and for tests). */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}
