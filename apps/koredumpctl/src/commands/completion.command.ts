import { Command } from 'nest-commander';

import { completionScript } from '../completion.js';
import { UsageError } from '../errors.js';
import { BaseCommand } from './base.command.js';

@Command({
  name: 'completion',
  arguments: '<shell>',
  description: 'Print a shell completion script: source <(koredumpctl completion bash)',
  argsDescription: { shell: 'bash or zsh' },
})
export class CompletionCommand extends BaseCommand {
  protected execute([shell]: string[]): Promise<void> {
    if (shell !== 'bash' && shell !== 'zsh') {
      throw new UsageError(`completion for "${shell}" is not available: use bash or zsh`);
    }
    this.ctx.out.stdout(completionScript(shell));
    return Promise.resolve();
  }
}
