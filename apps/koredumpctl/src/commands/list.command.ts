import { Command, Option } from 'nest-commander';
import { stringify } from 'yaml';

import type { CoreRecord } from '../core-record.js';
import { UsageError } from '../errors.js';
import { formatHuman } from '../format/human.js';
import { formatTable, TABLE_COLUMNS, WIDE_COLUMNS } from '../format/table.js';
import { LIST_OPTIONS, OUTPUT_FORMATS, type OutputFormat } from '../options.js';
import { QueryCommand, type QueryOptions } from './base.command.js';

export interface ListOptions extends QueryOptions {
  output?: OutputFormat;
  newest?: boolean;
  reverse?: boolean;
  limit?: number;
}

/** `-o` value check shared by list and info. */
export function parseFormat<T extends string>(value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`Use one of: ${allowed.join(', ')}`);
  }
  return value as T;
}

/** Machine-readable output: JSON (2-space, like jq) or YAML. */
export function formatData(data: unknown, format: 'json' | 'yaml'): string {
  return format === 'json'
    ? `${JSON.stringify(data, null, 2)}\n`
    : stringify(data, { lineWidth: 0 });
}

export const MATCH_HELP =
  'a number matches the PID, a name the command (COMM), a path the executable, FIELD=value any field of the record (namespace=team-a, COREDUMP_UID=1000, attribution.source=api), core.… the core id';

@Command({
  name: 'list',
  arguments: '[MATCH...]',
  description: 'List cores, oldest first (the default command)',
  argsDescription: { MATCH: MATCH_HELP },
  options: { isDefault: true },
})
export class ListCommand extends QueryCommand<ListOptions> {
  @Option({ ...LIST_OPTIONS.output, name: 'output' })
  parseOutput(v: string): OutputFormat {
    return parseFormat(v, OUTPUT_FORMATS);
  }

  @Option({ ...LIST_OPTIONS.newest, name: 'newest' })
  parseNewest(): boolean {
    return true;
  }

  @Option({ ...LIST_OPTIONS.reverse, name: 'reverse' })
  parseReverse(): boolean {
    return true;
  }

  @Option({ ...LIST_OPTIONS.limit, name: 'limit' })
  parseLimit(v: string): number {
    if (!/^\d+$/.test(v)) throw new UsageError('a whole number is needed');
    return Number(v);
  }

  protected async execute(matches: string[], opts: ListOptions): Promise<void> {
    const format = opts.output ?? 'human';
    const { cores } = await this.selectCores(matches, opts, {
      newest: opts.newest,
      limit: opts.limit,
      reverse: opts.reverse,
    });
    this.print(cores, format, opts.newest === true);
  }

  private print(cores: CoreRecord[], format: OutputFormat, single: boolean): void {
    const out = this.ctx.out;
    if (format === 'json' || format === 'yaml') {
      // As the original: `-1` prints one object (or null), otherwise the array.
      out.stdout(formatData(single ? (cores[0] ?? null) : cores, format));
      return;
    }
    if (cores.length === 0) {
      this.ctx.nothingFound();
      return;
    }
    if (format === 'human') out.stdout(formatHuman(cores, out.style));
    else if (format === 'table') out.stdout(formatTable(cores, TABLE_COLUMNS, out.columns));
    else out.stdout(formatTable(cores, WIDE_COLUMNS));
  }
}
