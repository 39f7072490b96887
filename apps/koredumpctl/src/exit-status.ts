import { Injectable } from '@nestjs/common';

/** The exit code of this run, set by whatever decided it (a command, a usage error, help). */
@Injectable()
export class ExitStatus {
  code = 0;

  /** Records a failure; a usage error (2) is not downgraded by a later failure (1). */
  fail(code: number): void {
    if (code > this.code || this.code === 0) this.code = code;
  }
}
