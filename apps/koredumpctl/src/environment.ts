import { Injectable } from '@nestjs/common';
import { homedir } from 'node:os';

/**
 * The process environment the CLI reads (variables, home and working directory, clock). Injected,
 * so tests run commands with a controlled environment instead of changing process.env.
 */
@Injectable()
export class CliEnvironment {
  get env(): NodeJS.ProcessEnv {
    return process.env;
  }

  cwd(): string {
    return process.cwd();
  }

  homedir(): string {
    return this.env.HOME || homedir();
  }

  now(): Date {
    return new Date();
  }
}
