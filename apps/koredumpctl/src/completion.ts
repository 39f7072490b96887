import {
  COMMANDS,
  GROUPS_FORMATS,
  GROUPS_ORDERS,
  INFO_FORMATS,
  OUTPUT_FORMATS,
  optionNames,
  takesValue,
  type CommandSpec,
} from './options.js';

const SIGNALS = [
  'SIGSEGV',
  'SIGABRT',
  'SIGBUS',
  'SIGFPE',
  'SIGILL',
  'SIGTRAP',
  'SIGQUIT',
  'SIGSYS',
  'SIGXCPU',
  'SIGXFSZ',
];

/** Fixed values an option's argument can take, for completion. */
function valuesFor(cmd: CommandSpec, flags: string): string[] | 'file' | 'dir' | undefined {
  const names = optionNames(flags);
  if (names.includes('--output')) {
    if (cmd.name === 'groups') return [...GROUPS_FORMATS];
    return cmd.name === 'info' ? [...INFO_FORMATS] : [...OUTPUT_FORMATS];
  }
  if (names.includes('--sort')) return [...GROUPS_ORDERS];
  if (names.includes('--signal')) return SIGNALS;
  if (names.includes('--kubeconfig')) return 'file';
  if (names.includes('--output-dir')) return 'dir';
  return undefined;
}

const funcName = (prog: string): string => `_${prog.replace(/[^A-Za-z0-9]/g, '_')}`;

function bash(prog: string, extraNames: string[]): string {
  const fn = funcName(prog);
  const commandWords = COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
  const lines: string[] = [
    `# ${prog} completion for bash. Load it with: source <(${prog} completion bash)`,
    `${fn}() {`,
    '  local cur prev cmd="" i',
    '  cur="${COMP_WORDS[COMP_CWORD]}"',
    '  prev="${COMP_WORDS[COMP_CWORD-1]}"',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    case "${COMP_WORDS[i]}" in',
    `      ${commandWords.join('|')}) cmd="\${COMP_WORDS[i]}"; break ;;`,
    '    esac',
    '  done',
    '  case "$cmd" in',
  ];
  for (const c of COMMANDS) {
    const pattern = [c.name, ...(c.aliases ?? [])].join('|');
    lines.push(`    ${pattern})`);
    const valueCases: string[] = [];
    const bare: string[] = [];
    for (const o of c.options) {
      if (!takesValue(o.flags)) continue;
      const v = valuesFor(c, o.flags);
      const pat = optionNames(o.flags).join('|');
      if (v === 'file') {
        valueCases.push(`        ${pat}) COMPREPLY=($(compgen -f -- "$cur")); return ;;`);
      } else if (v === 'dir') {
        valueCases.push(`        ${pat}) COMPREPLY=($(compgen -d -- "$cur")); return ;;`);
      } else if (v) {
        valueCases.push(
          `        ${pat}) COMPREPLY=($(compgen -W "${v.join(' ')}" -- "$cur")); return ;;`,
        );
      } else bare.push(pat);
    }
    if (bare.length) valueCases.push(`        ${bare.join('|')}) return ;;`);
    if (valueCases.length) lines.push('      case "$prev" in', ...valueCases, '      esac');
    const words = [...c.options.flatMap((o) => optionNames(o.flags)), ...(c.words ?? [])];
    lines.push(`      COMPREPLY=($(compgen -W "${words.join(' ')}" -- "$cur")) ;;`);
  }
  const list = COMMANDS[0];
  lines.push(
    '    *)',
    `      COMPREPLY=($(compgen -W "${[...commandWords, ...list.options.flatMap((o) => optionNames(o.flags))].join(' ')}" -- "$cur")) ;;`,
    '  esac',
    '}',
    ...[prog, ...extraNames].map((n) => `complete -F ${fn} ${n}`),
    '',
  );
  return lines.join('\n');
}

/** Text safe inside a single-quoted zsh word and an _arguments `[description]` or `name:desc`. */
const zq = (s: string): string =>
  s.replace(/'/g, `'\\''`).replace(/\[/g, '(').replace(/\]/g, ')').replace(/:/g, ' -');

function zsh(prog: string, extraNames: string[]): string {
  const fn = funcName(prog);
  const lines: string[] = [
    `#compdef ${[prog, ...extraNames].join(' ')}`,
    `# ${prog} completion for zsh. Load it with: source <(${prog} completion zsh)`,
    `${fn}_options() {`,
    '  case "$1" in',
  ];
  for (const c of COMMANDS) {
    const specs: string[] = [];
    for (const o of c.options) {
      const names = optionNames(o.flags);
      const excl = names.length > 1 ? `'(${names.join(' ')})'` : '';
      const v = takesValue(o.flags) ? valuesFor(c, o.flags) : undefined;
      const arg = !takesValue(o.flags)
        ? ''
        : v === 'file'
          ? ':file:_files'
          : v === 'dir'
            ? ':directory:_files -/'
            : v
              ? `:value:(${v.join(' ')})`
              : ':value: ';
      const body = `'[${zq(o.description)}]${arg}'`;
      specs.push(names.length > 1 ? `${excl}{${names.join(',')}}${body}` : `${names[0]}${body}`);
    }
    if (c.words?.length) specs.push(`'1:shell:(${c.words.join(' ')})'`);
    else if (['list', 'info', 'get', 'debug'].includes(c.name)) specs.push(`'*:match: '`);
    lines.push(`    ${[c.name, ...(c.aliases ?? [])].join('|')})`);
    lines.push(`      _arguments -s ${specs.join(' \\\n        ')} ;;`);
  }
  lines.push('  esac', '}');
  const described = COMMANDS.map((c) => `'${c.name}:${zq(c.description)}'`);
  lines.push(
    `${fn}() {`,
    '  local -a commands',
    `  commands=(${described.join(' ')})`,
    '  if (( CURRENT == 2 )) && [[ $words[2] != -* ]]; then',
    "    _describe -t commands 'koredumpctl command' commands",
    '    return',
    '  fi',
    '  local cmd=list i',
    '  for (( i = 2; i < CURRENT; i++ )); do',
    `    case $words[i] in ${COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]).join('|')}) cmd=$words[i]; break ;; esac`,
    '  done',
    `  ${fn}_options $cmd`,
    '}',
    `compdef ${fn} ${[prog, ...extraNames].join(' ')}`,
    '',
  );
  return lines.join('\n');
}

/** The completion script for a shell; also registered for `kubectl-koredump`. */
export function completionScript(shell: 'bash' | 'zsh', prog = 'koredumpctl'): string {
  const extra = prog === 'koredumpctl' ? ['kubectl-koredump'] : [];
  return shell === 'bash' ? bash(prog, extra) : zsh(prog, extra);
}
