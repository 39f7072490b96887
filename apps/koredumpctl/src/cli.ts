import { CommandFactory, CommandRunnerService } from 'nest-commander';

import { normalizeArgs } from './argv.js';
import { ProgramName } from './cli-setup.service.js';
import { ExitStatus } from './exit-status.js';
import { CLI_FACTORY_OPTIONS, KoredumpctlModule } from './koredumpctl.module.js';
import { OutputService } from './output.service.js';
import { programName } from './version.js';

/** The name the user typed: argv0 for a single executable (argv[1] is the executable), else the script. */
function invokedAs(): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sea = require('node:sea') as { isSea(): boolean };
    if (sea.isSea()) return process.argv0;
  } catch {
    // Node without node:sea
  }
  return process.argv[1];
}

/** Runs koredumpctl with these arguments and resolves with the exit code. */
export async function runCli(args: string[]): Promise<number> {
  const app = await CommandFactory.createWithoutRunning(
    {
      module: KoredumpctlModule,
      providers: [{ provide: ProgramName, useValue: { name: programName(invokedAs()) } }],
    },
    CLI_FACTORY_OPTIONS,
  );
  try {
    await app.get(CommandRunnerService).run(['node', 'koredumpctl', ...normalizeArgs(args)]);
    await app.get(OutputService).flush();
    return app.get(ExitStatus).code || Number(process.exitCode ?? 0);
  } finally {
    await app.close();
  }
}
