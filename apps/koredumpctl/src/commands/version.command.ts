import { Command } from 'nest-commander';

import { CLI_VERSION } from '../version.js';
import { BaseCommand } from './base.command.js';

@Command({ name: 'version', description: 'Print the version of koredumpctl' })
export class VersionCommand extends BaseCommand {
  protected execute(): Promise<void> {
    this.ctx.out.stdout(`koredumpctl ${CLI_VERSION}\n`);
    return Promise.resolve();
  }
}
