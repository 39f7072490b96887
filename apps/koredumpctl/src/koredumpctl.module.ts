import { Module } from '@nestjs/common';
import type { CommandFactoryRunOptions } from 'nest-commander/src/command-factory.interface.js';

import { ConnectionResolver } from './api/connection.js';
import { CliContext } from './cli-context.js';
import { CliSetup, ProgramName } from './cli-setup.service.js';
import { CompletionCommand } from './commands/completion.command.js';
import { DebugCommand } from './commands/debug.command.js';
import { GetCommand } from './commands/get.command.js';
import { GroupsCommand } from './commands/groups.command.js';
import { InfoCommand } from './commands/info.command.js';
import { ListCommand } from './commands/list.command.js';
import { StatusCommand } from './commands/status.command.js';
import { VersionCommand } from './commands/version.command.js';
import { DebuggerLauncher } from './debugger.js';
import { CliEnvironment } from './environment.js';
import { ExitStatus } from './exit-status.js';
import { OutputService } from './output.service.js';

@Module({
  providers: [
    CliContext,
    CliEnvironment,
    CliSetup,
    CompletionCommand,
    ConnectionResolver,
    DebugCommand,
    DebuggerLauncher,
    ExitStatus,
    GetCommand,
    GroupsCommand,
    InfoCommand,
    ListCommand,
    OutputService,
    { provide: ProgramName, useValue: { name: 'koredumpctl' } },
    StatusCommand,
    VersionCommand,
  ],
})
export class KoredumpctlModule {}

/**
 * nest-commander options for the real run and the tests alike. Errors never reach
 * serviceErrorHandler (commands report their own, commander's usage errors are reported by
 * CliSetup and rethrown only to stop commander), so it only has to stay quiet about those.
 */
export const CLI_FACTORY_OPTIONS: CommandFactoryRunOptions = {
  logger: false,
  serviceErrorHandler: (err: Error & { code?: string }) => {
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) return;
    process.stderr.write(`koredumpctl: internal error: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  },
};
