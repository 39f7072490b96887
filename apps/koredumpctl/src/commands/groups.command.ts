import { Command, Option } from 'nest-commander';

import type { ConnectionOptions } from '../api/connection.js';
import { UsageError } from '../errors.js';
import { formatGroups, GROUP_TABLE_COLUMNS, GROUP_WIDE_COLUMNS } from '../format/groups.js';
import { GROUPS_FORMATS, GROUPS_OPTIONS, GROUPS_ORDERS, type GroupsFormat } from '../options.js';
import { parseSignal } from '../query/signal.js';
import { parseTime } from '../query/time.js';
import { ApiCommand } from './base.command.js';
import { formatData, parseFormat } from './list.command.js';

export interface GroupsOptions extends ConnectionOptions {
  namespace?: string;
  pod?: string;
  container?: string;
  node?: string;
  signal?: string;
  since?: Date;
  until?: Date;
  output?: GroupsFormat;
  sort?: (typeof GROUPS_ORDERS)[number];
  limit?: number;
}

/**
 * `koredumpctl groups`: GET /apiv1/crashgroups as a table. The server groups, so the filters are
 * the server's: one exact value each (no wildcards, no repetition as `list` allows).
 */
@Command({
  name: 'groups',
  description: 'List crash groups: cores with the same crash signature, most recent first',
})
export class GroupsCommand extends ApiCommand<GroupsOptions> {
  @Option({ ...GROUPS_OPTIONS.namespace, name: 'namespace' })
  parseNamespace(v: string): string {
    return exact(v);
  }

  @Option({ ...GROUPS_OPTIONS.pod, name: 'pod' })
  parsePod(v: string): string {
    return exact(v);
  }

  @Option({ ...GROUPS_OPTIONS.container, name: 'container' })
  parseContainer(v: string): string {
    return exact(v);
  }

  @Option({ ...GROUPS_OPTIONS.node, name: 'node' })
  parseNode(v: string): string {
    return exact(v);
  }

  @Option({ ...GROUPS_OPTIONS.signal, name: 'signal' })
  parseSignalOption(v: string): string {
    try {
      return parseSignal(v).name;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }

  @Option({ ...GROUPS_OPTIONS.since, name: 'since' })
  parseSince(v: string): Date {
    return this.time(v);
  }

  @Option({ ...GROUPS_OPTIONS.until, name: 'until' })
  parseUntil(v: string): Date {
    return this.time(v);
  }

  @Option({ ...GROUPS_OPTIONS.output, name: 'output' })
  parseOutput(v: string): GroupsFormat {
    return parseFormat(v, GROUPS_FORMATS);
  }

  @Option({ ...GROUPS_OPTIONS.sort, name: 'sort' })
  parseSort(v: string): (typeof GROUPS_ORDERS)[number] {
    return parseFormat(v, GROUPS_ORDERS);
  }

  @Option({ ...GROUPS_OPTIONS.limit, name: 'limit' })
  parseLimit(v: string): number {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError('a whole number ≥ 1 is needed');
    return Number(v);
  }

  private time(v: string): Date {
    try {
      return parseTime(v, this.ctx.environment.now());
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }

  protected async execute(args: string[], opts: GroupsOptions): Promise<void> {
    if (args.length) throw new UsageError(`groups takes no arguments (got ${args.join(' ')})`);
    const query: Record<string, string> = {};
    for (const key of ['namespace', 'pod', 'container', 'node', 'signal', 'sort'] as const) {
      if (opts[key] !== undefined) query[key] = opts[key];
    }
    if (opts.since) query.since = opts.since.toISOString();
    if (opts.until) query.until = opts.until.toISOString();
    if (opts.limit !== undefined) query.limit = String(opts.limit);
    const api = await this.ctx.api(opts);
    const { groups, warnings } = await api.crashGroups(query);
    for (const w of warnings) this.ctx.warn(`partial result: ${w}`);
    const out = this.ctx.out;
    const format = opts.output ?? 'table';
    if (format === 'json' || format === 'yaml') {
      out.stdout(formatData(groups, format));
      return;
    }
    if (groups.length === 0) {
      this.ctx.nothingFound();
      return;
    }
    out.stdout(
      format === 'wide'
        ? formatGroups(groups, GROUP_WIDE_COLUMNS)
        : formatGroups(groups, GROUP_TABLE_COLUMNS, out.columns),
    );
  }
}

/** The server matches exactly: a wildcard would silently match nothing. */
function exact(v: string): string {
  if (/[*?]/.test(v)) {
    throw new UsageError('groups filters take one exact value (no * or ? wildcards)');
  }
  return v;
}
