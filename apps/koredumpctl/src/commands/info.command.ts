import { Command, Option } from 'nest-commander';

import { CliError } from '../errors.js';
import { formatInfo } from '../format/info.js';
import { INFO_FORMATS, INFO_OPTIONS, type InfoFormat } from '../options.js';
import { QueryCommand, type QueryOptions } from './base.command.js';
import { formatData, MATCH_HELP, parseFormat } from './list.command.js';

export interface InfoOptions extends QueryOptions {
  output?: InfoFormat;
}

@Command({
  name: 'info',
  arguments: '[MATCH...]',
  description: 'Show everything about the newest matching core, stack trace included',
  argsDescription: { MATCH: MATCH_HELP },
})
export class InfoCommand extends QueryCommand<InfoOptions> {
  @Option({ ...INFO_OPTIONS.output, name: 'output' })
  parseOutput(v: string): InfoFormat {
    return parseFormat(v, INFO_FORMATS);
  }

  protected async execute(matches: string[], opts: InfoOptions): Promise<void> {
    const { api, cores } = await this.selectCores(matches, opts, { newest: true });
    const core = cores[0];
    if (!core) {
      throw new CliError('no core matches', undefined, 'see what there is with `koredumpctl list`');
    }
    if (!core.node) {
      throw new CliError(`core ${core.id} has no node in the list; the API is not the cluster API`);
    }
    const full = await api.metadata(core.node, core.id);
    const format = opts.output ?? 'human';
    if (format !== 'human') {
      this.ctx.out.stdout(formatData(full, format));
      return;
    }
    // The metadata has every field of the list record; merge anyway in case an API trims it.
    this.ctx.out.stdout(
      formatInfo({ ...core, ...full }, this.ctx.out.style, this.ctx.environment.now().getTime()),
    );
  }
}
