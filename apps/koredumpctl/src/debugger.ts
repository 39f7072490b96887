import { Injectable } from '@nestjs/common';
import { spawn } from 'node:child_process';

import { CliError } from './errors.js';

/**
 * Splits a command line the way a shell would for simple cases: whitespace separates words,
 * single and double quotes group, backslash escapes (for KOREDUMPCTL_DEBUGGER="gdb -q").
 */
export function splitCommandLine(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unbalanced ${quote} in ${JSON.stringify(text)}`);
  if (inWord) words.push(cur);
  return words;
}

/**
 * The debugger's argument vector, like coredumpctl debug: gdb (and anything else) gets
 * `[args…] [EXE] -c CORE`, lldb gets `[args…] --core CORE [EXE]`.
 */
export function debuggerArgv(
  debuggerCommand: string[],
  extraArgs: string[],
  core: string,
  exe: string | undefined,
): string[] {
  const [cmd, ...args] = debuggerCommand;
  const name = cmd.split('/').pop() ?? cmd;
  if (/^lldb/.test(name)) {
    return [cmd, ...args, ...extraArgs, '--core', core, ...(exe ? [exe] : [])];
  }
  return [cmd, ...args, ...extraArgs, ...(exe ? [exe] : []), '-c', core];
}

/** Starts the debugger on the user's terminal and resolves with its exit code. */
@Injectable()
export class DebuggerLauncher {
  launch(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit', env });
      child.on('error', (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'ENOENT'
            ? new CliError(
                `no debugger: ${argv[0]} is not installed or not on PATH`,
                undefined,
                'install gdb (e.g. `apt-get install gdb`), or set KOREDUMPCTL_DEBUGGER / --debugger to another debugger',
              )
            : new CliError(`cannot start ${argv[0]}: ${err.message}`),
        );
      });
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
  }
}
