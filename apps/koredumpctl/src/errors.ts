/** Exit codes: 0 success, 1 failure, 2 usage error (as the issue and coredumpctl's manual say). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure the user can act on: printed as `error: <message>` plus hint lines, no stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * A bad command line (exit 2). It carries commander's `code` for invalid option arguments, so when
 * thrown from an option parser commander prints `error: option '…' argument '…' is invalid. <msg>`.
 */
export class UsageError extends CliError {
  readonly code = 'commander.invalidArgument';
  constructor(message: string, hint?: string) {
    super(message, EXIT_USAGE, hint);
    this.name = 'UsageError';
  }
}
