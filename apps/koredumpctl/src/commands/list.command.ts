import { Command, Option } from 'nest-commander';
import { stringify } from 'yaml';

import type { CoreRecord } from '../core-record.js';
import { UsageError } from '../errors.js';
import { followCores } from '../api/follow.js';
import { formatHuman, formatHumanBlock } from '../format/human.js';
import type { Style } from '../format/style.js';
import { selectCores, serverQuery } from '../query/match.js';
import { formatTable, TABLE_COLUMNS, WIDE_COLUMNS } from '../format/table.js';
import { LIST_OPTIONS, OUTPUT_FORMATS, type OutputFormat } from '../options.js';
import { QueryCommand, type QueryOptions } from './base.command.js';

export interface ListOptions extends QueryOptions {
  output?: OutputFormat;
  newest?: boolean;
  reverse?: boolean;
  limit?: number;
  follow?: boolean;
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

/** How far back `--follow` asks the server to resend cores, before the list was fetched. */
const FOLLOW_OVERLAP_MS = 60_000;

/**
 * One followed core in the list's format: a human block, a table row (no header: columns are
 * sized for this row), one compact JSON object per line (NDJSON), or one YAML document.
 */
export function followLine(core: CoreRecord, format: OutputFormat, style: Style): string {
  if (format === 'json') return `${JSON.stringify(core)}\n`;
  if (format === 'yaml') return `---\n${stringify(core, { lineWidth: 0 })}`;
  if (format === 'human') return `${formatHumanBlock(core, style)}\n`;
  const table = formatTable([core], format === 'table' ? TABLE_COLUMNS : WIDE_COLUMNS);
  return `${table.split('\n').slice(1).join('\n')}`;
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

  @Option({ ...LIST_OPTIONS.follow, name: 'follow' })
  parseFollow(): boolean {
    return true;
  }

  protected async execute(matches: string[], opts: ListOptions): Promise<void> {
    const format = opts.output ?? 'human';
    // Following starts a minute before the list was asked for: nothing falls between the two
    // (what comes twice is shown once).
    const resumeFrom = this.ctx.environment.now().getTime() - FOLLOW_OVERLAP_MS;
    const { api, cores, filter, listed } = await this.selectCores(matches, opts, {
      newest: opts.newest,
      limit: opts.limit,
      reverse: opts.reverse,
    });
    if (!opts.follow || format === 'yaml' || format === 'json' || cores.length > 0) {
      this.print(cores, format, opts.newest === true);
    }
    if (!opts.follow) return;
    const out = this.ctx.out;
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await followCores(api, {
        query: serverQuery(filter),
        resumeFrom,
        // Everything the server listed (shown or not, e.g. beyond --limit) is not new.
        seen: listed,
        signal: controller.signal,
        log: this.ctx.log,
        warn: (msg) => this.ctx.warn(msg),
        onCore: (core) => {
          if (selectCores([core], filter).length === 0) return false;
          out.stdout(followLine(core, format, out.style));
          return true;
        },
      });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
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
