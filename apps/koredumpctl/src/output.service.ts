import { Injectable } from '@nestjs/common';

import { ANSI, PLAIN, type Style } from './format/style.js';

/**
 * Where koredumpctl writes: data to stdout, diagnostics (errors, warnings, progress) to stderr.
 * The only place that touches the process's streams, so tests override it and read what was
 * printed (nest-commander's LogService seam).
 */
@Injectable()
export class OutputService {
  stdout(text: string): void {
    process.stdout.write(text);
  }

  stderr(text: string): void {
    process.stderr.write(text);
  }

  get stdoutIsTTY(): boolean {
    return process.stdout.isTTY === true;
  }

  get stderrIsTTY(): boolean {
    return process.stderr.isTTY === true;
  }

  /** Width of the terminal on stdout (undefined on a pipe unless COLUMNS is set). */
  get columns(): number | undefined {
    const env = Number(process.env.COLUMNS);
    if (Number.isInteger(env) && env > 0) return env;
    return this.stdoutIsTTY ? process.stdout.columns : undefined;
  }

  /** Width of the terminal on stderr (for progress bars). */
  get stderrColumns(): number {
    return (this.stderrIsTTY ? process.stderr.columns : undefined) ?? 80;
  }

  private colorAllowed(): boolean {
    return process.env.NO_COLOR === undefined || process.env.NO_COLOR === '';
  }

  /** ANSI styling for stdout when it is a terminal. */
  get style(): Style {
    return this.stdoutIsTTY && this.colorAllowed() ? ANSI : PLAIN;
  }

  /** ANSI styling for stderr when it is a terminal. */
  get errStyle(): Style {
    return this.stderrIsTTY && this.colorAllowed() ? ANSI : PLAIN;
  }

  /** Resolves once everything written to stdout has been handed to the OS. */
  flush(): Promise<void> {
    return new Promise((resolve) => {
      if (process.stdout.writableLength === 0) resolve();
      else process.stdout.write('', () => resolve());
    });
  }
}
