/**
 * systemd-coredump's configuration as systemd computes it (coredump.conf(5)): the main file, then
 * the `coredump.conf.d/*.conf` drop-ins in file-name order, later assignments winning; unset
 * settings keep the compiled-in defaults. Pure: the files are read elsewhere (coredump-conf-files).
 */

export type CoredumpStorage = 'none' | 'external' | 'journal';

/** The effective [Coredump] settings. Sizes in bytes. */
export interface CoredumpConfig {
  storage: CoredumpStorage;
  compress: boolean;
  processSizeMax: number;
  /** null: `infinity` (no limit). */
  externalSizeMax: number | null;
  journalSizeMax: number;
  /** Undefined: not set, systemd uses 10 % of the filesystem (1M..4G); 0 turns the limit off. */
  maxUse?: number;
  /** Undefined: not set, systemd uses 15 % of the filesystem (at most 4G); 0 turns it off. */
  keepFree?: number;
}

export type CoredumpSetting = keyof CoredumpConfig;

/** One configuration file's text and the (host) path it was read from. */
export interface ConfFile {
  path: string;
  text: string;
}

/** A line systemd would warn about and ignore. */
export interface ConfProblem {
  file: string;
  line: number;
  message: string;
}

export interface ParsedCoredumpConf {
  config: CoredumpConfig;
  /** The file that set each setting (absent: the default). */
  sources: Partial<Record<CoredumpSetting, string>>;
  problems: ConfProblem[];
}

const GiB = 2 ** 30;

/**
 * systemd's compiled-in defaults on 64-bit systems since v250 (PROCESS_SIZE_MAX = 32G,
 * EXTERNAL_SIZE_MAX = PROCESS_SIZE_MAX, JOURNAL_SIZE_MAX = 767M in src/coredump). Older
 * systemd used 2G; the template /etc/systemd/coredump.conf of some distributions still shows 2G in
 * its comments, which are not settings.
 */
export const COREDUMP_DEFAULTS: Readonly<CoredumpConfig> = {
  storage: 'external',
  compress: true,
  processSizeMax: 32 * GiB,
  externalSizeMax: 32 * GiB,
  journalSizeMax: 767 * 2 ** 20,
};

/** The directories systemd looks in, highest priority first. */
export const SYSTEMD_CONFIG_DIRS = [
  '/etc/systemd',
  '/run/systemd',
  '/usr/local/lib/systemd',
  '/usr/lib/systemd',
] as const;

/** What exists in one configuration directory. */
export interface ConfDirListing {
  /** e.g. /etc/systemd */
  dir: string;
  /** coredump.conf exists here. */
  hasMain: boolean;
  /** File names in coredump.conf.d (any; only *.conf count). */
  dropIns: readonly string[];
}

/**
 * The files systemd reads, in the order it applies them: the first main file found (/etc, /run,
 * /usr/local/lib, /usr/lib; systemd < 255 only reads /etc's), then every drop-in sorted by file
 * name whatever its directory, where a name in a higher-priority directory masks the same name
 * in lower ones (a /dev/null symlink in /etc thus disables a vendor drop-in).
 * @param dirs highest priority first
 */
export function coredumpConfFiles(dirs: readonly ConfDirListing[]): string[] {
  const files: string[] = [];
  const main = dirs.find((d) => d.hasMain);
  if (main) files.push(`${main.dir}/coredump.conf`);
  const byName = new Map<string, string>();
  for (const d of dirs) {
    for (const name of d.dropIns) {
      if (name.endsWith('.conf') && !byName.has(name)) {
        byName.set(name, `${d.dir}/coredump.conf.d/${name}`);
      }
    }
  }
  // strcmp order, as systemd sorts (not locale order).
  const names = [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) files.push(byName.get(name)!);
  return files;
}

const IEC_FACTORS: Record<string, number> = {
  E: 2 ** 60,
  P: 2 ** 50,
  T: 2 ** 40,
  G: 2 ** 30,
  M: 2 ** 20,
  K: 2 ** 10,
  B: 1,
  '': 1,
};

/**
 * A size as systemd's parse_size(…, 1024) reads it: base-1024 suffixes B K M G T P E (upper case),
 * decimals ("1.5G") and sums of parts ("1G 512M"); no sign. Undefined when it is not a size or
 * is beyond what a JSON number holds exactly.
 */
export function parseIecSize(text: string): number | undefined {
  let rest = text.trim();
  if (rest === '') return undefined;
  let total = 0;
  while (rest !== '') {
    const m = /^(\d+)(?:\.(\d+))?[ \t]*([EPTGMKB]?)[ \t]*/.exec(rest);
    if (!m) return undefined;
    const factor = IEC_FACTORS[m[3]];
    const whole = Number(m[1]);
    const frac = m[2] ? Number(`0.${m[2]}`) : 0;
    total += whole * factor + Math.floor(frac * factor);
    rest = rest.slice(m[0].length);
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Bytes the way coredump.conf writes them: "32G", "1.5G", "767M", "512" (base 1024). */
export function formatIecSize(bytes: number | null): string {
  if (bytes === null) return 'infinity';
  for (const unit of ['E', 'P', 'T', 'G', 'M', 'K']) {
    const f = IEC_FACTORS[unit];
    if (bytes >= f) {
      const v = bytes / f;
      return Number.isInteger(v) ? `${v}${unit}` : `${(Math.floor(v * 10) / 10).toString()}${unit}`;
    }
  }
  return String(bytes);
}

/** systemd's parse_boolean. */
function parseBoolean(text: string): boolean | undefined {
  const v = text.trim().toLowerCase();
  if (['1', 'yes', 'y', 'true', 't', 'on'].includes(v)) return true;
  if (['0', 'no', 'n', 'false', 'f', 'off'].includes(v)) return false;
  return undefined;
}

type Assign = (value: string, config: CoredumpConfig) => string | undefined;

const size =
  (key: 'processSizeMax' | 'journalSizeMax' | 'maxUse' | 'keepFree'): Assign =>
  (value, config) => {
    const bytes = parseIecSize(value);
    if (bytes === undefined) return 'is not a size';
    config[key] = bytes;
    return undefined;
  };

/** [Coredump] keys (case-sensitive, as systemd's) and how each is parsed; an error text or undefined. */
const KEYS: Record<string, { setting?: CoredumpSetting; assign: Assign }> = {
  Storage: {
    setting: 'storage',
    assign: (value, config) => {
      const v = value.trim();
      if (v !== 'none' && v !== 'external' && v !== 'journal') {
        return 'is not one of none, external, journal';
      }
      config.storage = v;
      return undefined;
    },
  },
  Compress: {
    setting: 'compress',
    assign: (value, config) => {
      const b = parseBoolean(value);
      if (b === undefined) return 'is not a boolean';
      config.compress = b;
      return undefined;
    },
  },
  ProcessSizeMax: { setting: 'processSizeMax', assign: size('processSizeMax') },
  ExternalSizeMax: {
    setting: 'externalSizeMax',
    assign: (value, config) => {
      if (value.trim() === 'infinity') {
        config.externalSizeMax = null;
        return undefined;
      }
      const bytes = parseIecSize(value);
      if (bytes === undefined) return 'is not a size or "infinity"';
      config.externalSizeMax = bytes;
      return undefined;
    },
  },
  JournalSizeMax: { setting: 'journalSizeMax', assign: size('journalSizeMax') },
  MaxUse: { setting: 'maxUse', assign: size('maxUse') },
  KeepFree: { setting: 'keepFree', assign: size('keepFree') },
  // Newer systemd (v258); accepted so that it is not reported as unknown, not used here.
  EnterNamespace: { assign: () => undefined },
};

/** Logical lines of an INI text (backslash continuations joined), with their first line number. */
function logicalLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let pending: { line: number; text: string } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    // A comment inside a continuation is skipped, as systemd does.
    if (pending && /^[#;]/.test(trimmed)) return;
    const continued = trimmed.endsWith('\\');
    const body = continued ? trimmed.slice(0, -1) : trimmed;
    if (pending) pending.text += ` ${body}`;
    else pending = { line: i + 1, text: body };
    if (!continued) {
      out.push(pending);
      pending = undefined;
    }
  });
  if (pending) out.push(pending);
  return out;
}

/**
 * Applies the files in order onto the defaults. Like systemd: only the [Coredump] section counts,
 * `#` and `;` start comments, keys are case-sensitive, and an invalid value is ignored with a
 * warning (the value set before it, or the default, stays).
 */
export function parseCoredumpConf(files: readonly ConfFile[]): ParsedCoredumpConf {
  const config: CoredumpConfig = { ...COREDUMP_DEFAULTS };
  const sources: Partial<Record<CoredumpSetting, string>> = {};
  const problems: ConfProblem[] = [];
  for (const file of files) {
    let section: string | undefined;
    for (const { line, text } of logicalLines(file.text)) {
      const problem = (message: string): void => {
        problems.push({ file: file.path, line, message });
      };
      if (text === '' || text.startsWith('#') || text.startsWith(';')) continue;
      if (text.startsWith('[')) {
        if (!text.endsWith(']')) {
          problem(`invalid section header ${JSON.stringify(text)}`);
          section = undefined;
          continue;
        }
        section = text.slice(1, -1);
        if (section !== 'Coredump' && !section.startsWith('X-')) {
          problem(`unknown section [${section}], ignored`);
        }
        continue;
      }
      const eq = text.indexOf('=');
      if (eq < 0) {
        problem(`missing '=' in ${JSON.stringify(text)}, ignored`);
        continue;
      }
      if (section === undefined) {
        problem('assignment outside of a section, ignored');
        continue;
      }
      if (section !== 'Coredump') continue;
      const key = text.slice(0, eq).trim();
      const value = text.slice(eq + 1).trim();
      const known = KEYS[key];
      if (!known) {
        problem(`unknown setting ${key} in [Coredump], ignored`);
        continue;
      }
      const error = known.assign(value, config);
      if (error) {
        problem(`${key}=${value} ${error}; ignored`);
      } else if (known.setting) {
        sources[known.setting] = file.path;
      }
    }
  }
  return { config, sources, problems };
}

const MiB = 2 ** 20;
const PAGE = 4096;
const pageAlign = (n: number): number => Math.ceil(n / PAGE) * PAGE;

/**
 * The MaxUse and KeepFree systemd-coredump enforces (coredump-vacuum.c): the configured value,
 * else 10 % of the filesystem clamped to 1M..4G and 15 % capped at 4G. 0 means off.
 */
export function effectiveVacuumLimits(
  config: Pick<CoredumpConfig, 'maxUse' | 'keepFree'>,
  filesystemBytes: number | undefined,
): { maxUse: number; keepFree: number } {
  const fs = filesystemBytes ?? 0;
  let maxUse: number;
  if (config.maxUse !== undefined) maxUse = pageAlign(config.maxUse);
  else if (fs > 0) maxUse = Math.min(Math.max(pageAlign(fs / 10), MiB), 4 * GiB);
  else maxUse = MiB;
  let keepFree: number;
  if (config.keepFree !== undefined) keepFree = pageAlign(config.keepFree);
  else if (fs > 0) keepFree = Math.min(pageAlign((fs * 3) / 20), 4 * GiB);
  else keepFree = MiB;
  return { maxUse, keepFree };
}
