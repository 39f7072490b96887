import { COMMANDS, optionNames, takesValue } from './options.js';

/**
 * Lets options come before the command, as the original koredumpctl allowed
 * (`koredumpctl -o json list`, `koredumpctl --token=X get -a`): the first word that is not an
 * option or an option's value is the command; when it is one of ours, it is moved to the front.
 * Anything else (no command word: `list` is the default) is left alone.
 *
 * @param args the user's arguments (without node and the script)
 */
export function normalizeArgs(args: readonly string[]): string[] {
  const names = new Map<string, boolean>();
  const commands = new Set<string>();
  for (const c of COMMANDS) {
    commands.add(c.name);
    for (const a of c.aliases ?? []) commands.add(a);
    for (const o of c.options) {
      for (const n of optionNames(o.flags)) names.set(n, takesValue(o.flags));
    }
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return [...args];
    if (a.startsWith('-') && a !== '-') {
      if (a.startsWith('--') && a.includes('=')) continue;
      // A short option with its value attached (-ojson) or a long one: skip the value if it takes one.
      if (names.get(a) === true) i++;
      continue;
    }
    if (!commands.has(a) || i === 0) return [...args];
    return [a, ...args.slice(0, i), ...args.slice(i + 1)];
  }
  return [...args];
}
