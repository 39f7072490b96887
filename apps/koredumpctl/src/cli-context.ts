import { Injectable } from '@nestjs/common';

import { ApiClient } from './api/api-client.js';
import { ConnectionResolver, type ConnectionOptions } from './api/connection.js';
import { CliEnvironment } from './environment.js';
import { CliError, EXIT_FAILURE } from './errors.js';
import { ExitStatus } from './exit-status.js';
import { OutputService } from './output.service.js';

/** What every command needs: output, exit status, environment, and a way to the API. */
@Injectable()
export class CliContext {
  verbose = false;

  constructor(
    readonly out: OutputService,
    readonly status: ExitStatus,
    readonly environment: CliEnvironment,
    private readonly connections: ConnectionResolver,
  ) {}

  /** A verbose-only diagnostic line on stderr (-v). */
  readonly log = (msg: string): void => {
    if (this.verbose) this.out.stderr(`${this.out.errStyle.dim('koredumpctl:')} ${msg}\n`);
  };

  warn(msg: string): void {
    this.out.stderr(`${this.out.errStyle.yellow('warning:')} ${msg}\n`);
  }

  /** `Nothing found.` on stderr, as the original (yellow on a terminal). */
  nothingFound(): void {
    this.out.stderr(`${this.out.errStyle.yellow('Nothing found.')}\n`);
  }

  /** Prints an error (and its hint) and records the exit code. */
  report(err: unknown): void {
    const s = this.out.errStyle;
    if (err instanceof CliError) {
      this.out.stderr(`${s.red('error:')} ${err.message}\n`);
      if (err.hint) this.out.stderr(`${s.dim('hint:')} ${err.hint}\n`);
      this.status.fail(err.exitCode);
      return;
    }
    const e = err as Error;
    this.out.stderr(`${s.red('error:')} ${e?.message ?? String(err)}\n`);
    if (this.verbose && e?.stack) this.out.stderr(`${e.stack}\n`);
    this.status.fail(EXIT_FAILURE);
  }

  /** An API client for these options (finding the server and the token). */
  async api(opts: ConnectionOptions): Promise<ApiClient> {
    const endpoint = await this.connections.resolve(opts, this.log);
    return new ApiClient(endpoint, this.log);
  }
}
