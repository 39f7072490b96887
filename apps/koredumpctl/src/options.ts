/**
 * Every command and option of koredumpctl, in one table. The command classes take their
 * `@Option` flags and descriptions from here, and so do the shell completion scripts and the
 * argument reordering that lets options come before the command (`koredumpctl -o json list`).
 */
export interface OptionSpec {
  flags: string;
  description: string;
}

export const GLOBAL_OPTIONS = {
  server: {
    flags: '--server <url>',
    description:
      'koredump API URL (default: KOREDUMP_URL, in a pod http://koreapi.<namespace>.svc, else the Kubernetes API server service proxy from your kubeconfig)',
  },
  token: {
    flags: '--token <token>',
    description:
      'bearer token (default: KOREDUMP_TOKEN, else your kubeconfig user, else the pod service account)',
  },
  koredumpNamespace: {
    flags: '--koredump-namespace <namespace>',
    description: 'namespace koredump is installed in (default: KOREDUMP_NAMESPACE or koredump)',
  },
  kubeconfig: {
    flags: '--kubeconfig <file>',
    description: 'kubeconfig file (default: KUBECONFIG or ~/.kube/config)',
  },
  context: { flags: '--context <name>', description: 'kubeconfig context (default: current)' },
  verbose: { flags: '-v, --verbose', description: 'print what is being done on stderr' },
} satisfies Record<string, OptionSpec>;

export const FILTER_OPTIONS = {
  namespace: {
    flags: '-n, --namespace <namespace>',
    description: 'only cores from pods of this namespace (repeatable; * and ? wildcards)',
  },
  pod: { flags: '-p, --pod <pod>', description: 'only cores of this pod (repeatable; wildcards)' },
  container: {
    flags: '--container <name>',
    description: 'only cores of this container (repeatable; wildcards)',
  },
  image: {
    flags: '--image <image>',
    description: 'only cores of this container image (repeatable; wildcards)',
  },
  node: { flags: '--node <node>', description: 'only cores of this node (repeatable; wildcards)' },
  signal: {
    flags: '--signal <signal>',
    description: 'only cores of this signal: 11, SIGSEGV or segv (repeatable)',
  },
  since: {
    flags: '-S, --since <time>',
    description:
      'only cores at or after this time: 2h, 30m, 1d, yesterday, 2026-01-01 10:00, ISO 8601',
  },
  until: { flags: '-U, --until <time>', description: 'only cores at or before this time' },
} satisfies Record<string, OptionSpec>;

export const LIST_OPTIONS = {
  output: {
    flags: '-o, --output <format>',
    description: 'human (default), table, wide, json or yaml',
  },
  newest: { flags: '-1', description: 'only the newest core' },
  reverse: { flags: '-r, --reverse', description: 'newest first' },
  limit: { flags: '--limit <n>', description: 'at most this many cores (the newest)' },
  follow: {
    flags: '-f, --follow',
    description:
      'then keep printing new cores as they crash, until Ctrl-C (json: one object per line)',
  },
} satisfies Record<string, OptionSpec>;

export const INFO_OPTIONS = {
  output: { flags: '-o, --output <format>', description: 'human (default), json or yaml' },
} satisfies Record<string, OptionSpec>;

export const GET_OPTIONS = {
  newest: { flags: '-1', description: 'download the newest matching core' },
  all: { flags: '-a, --all', description: 'download every matching core' },
  decompress: {
    flags: '-d, --decompress',
    description: 'also save the decompressed core (<id without suffix>)',
  },
  outputDir: {
    flags: '-O, --output-dir <dir>',
    description: 'save into this directory (default: the current one)',
  },
  continue: {
    flags: '-c, --continue',
    description: 'resume partial downloads (<file>.part) with a range request',
  },
} satisfies Record<string, OptionSpec>;

export const DEBUG_OPTIONS = {
  debugger: {
    flags: '--debugger <command>',
    description: 'debugger to run (default: KOREDUMPCTL_DEBUGGER, else gdb)',
  },
  debuggerArguments: {
    flags: '-A, --debugger-arguments <args>',
    description: 'extra arguments for the debugger, e.g. "-batch -ex bt"',
  },
} satisfies Record<string, OptionSpec>;

/** `groups`: the filters the server applies (one exact value each: groups cannot be re-filtered). */
export const GROUPS_OPTIONS = {
  namespace: { flags: '-n, --namespace <namespace>', description: 'only cores of this namespace' },
  pod: { flags: '-p, --pod <pod>', description: 'only cores of this pod' },
  container: { flags: '--container <name>', description: 'only cores of this container' },
  node: { flags: '--node <node>', description: 'only cores of this node' },
  signal: {
    flags: '--signal <signal>',
    description: 'only cores of this signal: 11, SIGSEGV or segv',
  },
  since: FILTER_OPTIONS.since,
  until: FILTER_OPTIONS.until,
  output: { flags: '-o, --output <format>', description: 'table (default), wide, json or yaml' },
  sort: {
    flags: '--sort <order>',
    description: 'lastSeen (default: most recent crash first) or count (most cores first)',
  },
  limit: { flags: '--limit <n>', description: 'at most this many groups' },
} satisfies Record<string, OptionSpec>;

export const GROUPS_FORMATS = ['table', 'wide', 'json', 'yaml'] as const;
export type GroupsFormat = (typeof GROUPS_FORMATS)[number];
export const GROUPS_ORDERS = ['lastSeen', 'count'] as const;

export const OUTPUT_FORMATS = ['human', 'table', 'wide', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
export const INFO_FORMATS = ['human', 'json', 'yaml'] as const;
export type InfoFormat = (typeof INFO_FORMATS)[number];

export interface CommandSpec {
  name: string;
  description: string;
  aliases?: string[];
  options: OptionSpec[];
  /** Words the shell may complete after the command (fixed values only). */
  words?: string[];
}

const values = (o: Record<string, OptionSpec>): OptionSpec[] => Object.values(o);
const global = values(GLOBAL_OPTIONS);

export const COMMANDS: CommandSpec[] = [
  {
    name: 'list',
    description: 'list cores (the default command)',
    options: [...global, ...values(FILTER_OPTIONS), ...values(LIST_OPTIONS)],
  },
  {
    name: 'info',
    description: 'show everything about the newest matching core, stack trace included',
    options: [...global, ...values(FILTER_OPTIONS), ...values(INFO_OPTIONS)],
  },
  {
    name: 'get',
    description: 'download cores and their metadata',
    aliases: ['dump'],
    options: [...global, ...values(FILTER_OPTIONS), ...values(GET_OPTIONS)],
  },
  {
    name: 'debug',
    description: 'run a debugger on the newest matching core',
    aliases: ['gdb'],
    options: [...global, ...values(FILTER_OPTIONS), ...values(DEBUG_OPTIONS)],
  },
  {
    name: 'groups',
    description: 'list crash groups: cores with the same crash signature, across the cluster',
    options: [...global, ...values(GROUPS_OPTIONS)],
  },
  {
    name: 'status',
    description: 'check the API, every node and this host',
    options: global,
  },
  { name: 'version', description: 'print the version', options: [] },
  {
    name: 'completion',
    description: 'print a shell completion script (bash or zsh)',
    options: [],
    words: ['bash', 'zsh'],
  },
];

/** `-o, --output <format>` → ['-o', '--output'] */
export function optionNames(flags: string): string[] {
  return flags
    .split(/[ ,|]+/)
    .filter((w) => w.startsWith('-'))
    .map((w) => w.trim());
}

/** True when the option takes a value (`<x>` or `[x]` in its flags). */
export function takesValue(flags: string): boolean {
  return /[<[]/.test(flags);
}
