import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Command } from 'commander';
import { InjectCommander } from 'nest-commander';

import { EXIT_USAGE } from './errors.js';
import { ExitStatus } from './exit-status.js';
import { OutputService } from './output.service.js';
import { CLI_VERSION } from './version.js';

/** How the program was invoked (`koredumpctl` or `kubectl koredump`); provided by the module. */
export abstract class ProgramName {
  abstract readonly name: string;
}

const EXAMPLES = (prog: string): string => `
Examples:
  ${prog}                              list every core (the original's layout)
  ${prog} -o table -S 2h               the last two hours, one line each
  ${prog} list -n team-a -p web-1      cores of a pod
  ${prog} info myapp                   the newest core of the command myapp, stack trace included
  ${prog} get -1 -n team-a -d          download the newest core of team-a, and decompressed
  ${prog} get NODE ID                  download one core (ids and nodes: -o wide)
  ${prog} debug 4242                   gdb on the newest core of PID 4242
  ${prog} groups -S 1d --sort count    crash groups of the last day, largest first
  ${prog} status                       API, nodes and this host

The API and the token are found without setup: --server / KOREDUMP_URL, in a pod the koreapi
service, else through the Kubernetes API server with your kubeconfig. Exit codes: 0 success,
1 failure, 2 usage error.
`;

/**
 * Wires commander to the rest of the CLI once nest-commander has built the command tree: the
 * program's name, help and version, output through OutputService (so help and usage errors are
 * captured like everything else), and exit codes (usage errors 2, help 0) instead of
 * commander's process.exit().
 */
@Injectable()
export class CliSetup implements OnApplicationBootstrap {
  constructor(
    @InjectCommander() private readonly commander: Command,
    private readonly out: OutputService,
    private readonly status: ExitStatus,
    private readonly program: ProgramName,
  ) {}

  onApplicationBootstrap(): void {
    const root = this.commander;
    root
      .name(this.program.name)
      .description(
        'coredumpctl for Kubernetes: list, inspect, download and debug the cores of every node',
      )
      .usage('[command] [options] [MATCH...]')
      .version(CLI_VERSION, '-V, --version', 'print the version')
      .addHelpText('after', EXAMPLES(this.program.name));
    const visit = (cmd: Command): void => {
      cmd
        .configureOutput({
          writeOut: (s) => this.out.stdout(s),
          writeErr: (s) => this.out.stderr(s),
          outputError: (s, write) => write(this.out.errStyle.red(s)),
        })
        .showHelpAfterError(
          `(run ${this.program.name} ${cmd === root ? '' : `${cmd.name()} `}--help for usage)`,
        )
        .exitOverride((err) => {
          this.status.fail(err.exitCode === 0 ? 0 : EXIT_USAGE);
          throw err;
        });
      cmd.commands.forEach(visit);
    };
    visit(root);
  }
}
