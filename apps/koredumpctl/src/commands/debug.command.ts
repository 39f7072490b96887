import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'nest-commander';

import { downloadCore } from '../api/download.js';
import { CliContext } from '../cli-context.js';
import { idWithoutSuffix, isCompressed } from '../core-record.js';
import { debuggerArgv, DebuggerLauncher, splitCommandLine } from '../debugger.js';
import { CliError, UsageError } from '../errors.js';
import { formatSize } from '../format/units.js';
import { DEBUG_OPTIONS } from '../options.js';
import { ProgressBar } from '../progress-bar.js';
import { QueryCommand, type QueryOptions } from './base.command.js';
import { assertSafeFileName } from './get.command.js';
import { MATCH_HELP } from './list.command.js';

export interface DebugOptions extends QueryOptions {
  debugger?: string;
  debuggerArguments?: string;
}

/** `$XDG_CACHE_HOME/koredump`, else `~/.cache/koredump`. */
export function cacheDir(env: NodeJS.ProcessEnv, home: string): string {
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'koredump');
}

@Command({
  name: 'debug',
  aliases: ['gdb'],
  arguments: '[MATCH...]',
  description: 'Run gdb (or $KOREDUMPCTL_DEBUGGER) on the newest matching core, cached',
  argsDescription: { MATCH: MATCH_HELP },
})
export class DebugCommand extends QueryCommand<DebugOptions> {
  constructor(
    ctx: CliContext,
    private readonly launcher: DebuggerLauncher,
  ) {
    super(ctx);
  }

  @Option({ ...DEBUG_OPTIONS.debugger, name: 'debugger' })
  parseDebugger(v: string): string {
    return v;
  }

  @Option({ ...DEBUG_OPTIONS.debuggerArguments, name: 'debuggerArguments' })
  parseDebuggerArguments(v: string): string {
    return v;
  }

  protected async execute(matches: string[], opts: DebugOptions): Promise<void> {
    const env = this.ctx.environment.env;
    let command: string[];
    let extra: string[];
    try {
      command = splitCommandLine(opts.debugger ?? env.KOREDUMPCTL_DEBUGGER ?? 'gdb');
      extra = splitCommandLine(opts.debuggerArguments ?? '');
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (command.length === 0) throw new UsageError('the debugger command is empty');

    const { api, cores } = await this.selectCores(matches, opts, { newest: true });
    const core = cores[0];
    if (!core) {
      throw new CliError('no core matches', undefined, 'see what there is with `koredumpctl list`');
    }
    if (!core.node) throw new CliError(`core ${core.id} has no node; cannot download it`);
    assertSafeFileName(core.id);
    assertSafeFileName(core.node);

    const dir = join(cacheDir(env, this.ctx.environment.homedir()), core.node);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, idWithoutSuffix(core.id));
    if (existsSync(path)) {
      this.ctx.out.stderr(`Using cached ${path} (${formatSize(statSync(path).size)})\n`);
    } else {
      const got = await downloadCore(api, {
        node: core.node,
        id: core.id,
        dest: path,
        decompress: isCompressed(core),
        resume: !isCompressed(core),
        progress: ProgressBar.for(this.ctx.out),
        label: idWithoutSuffix(core.id),
      });
      this.ctx.out.stderr(`Saved ${path} (${formatSize(got.bytes)})\n`);
    }

    // The executable is the path inside the container's mount namespace: use it only if this
    // host has it (a host process, or the same image mounted here).
    const exe = typeof core.COREDUMP_EXE === 'string' ? core.COREDUMP_EXE : undefined;
    const localExe = exe && existsSync(exe) && statSync(exe).isFile() ? exe : undefined;
    if (exe && !localExe) {
      this.ctx.warn(
        `${exe} is not on this host (it ran in a container): the debugger has no symbols for it`,
      );
    }
    const argv = debuggerArgv(command, extra, path, localExe);
    this.ctx.log(`running ${argv.join(' ')}`);
    const code = await this.launcher.launch(argv, env);
    if (code !== 0) this.ctx.status.fail(code);
  }
}
