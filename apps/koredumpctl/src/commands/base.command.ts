import { Injectable } from '@nestjs/common';
import { CommandRunner, Option } from 'nest-commander';

import type { ApiClient } from '../api/api-client.js';
import type { ConnectionOptions } from '../api/connection.js';
import { CliContext } from '../cli-context.js';
import { type CoreRecord } from '../core-record.js';
import { UsageError } from '../errors.js';
import { FILTER_OPTIONS, GLOBAL_OPTIONS } from '../options.js';
import {
  buildFilter,
  serverQuery,
  selectCores,
  type CoreFilter,
  type CoreQuery,
  type Selection,
} from '../query/match.js';
import { parseSignal } from '../query/signal.js';
import { parseTime } from '../query/time.js';

/** Runs a command and turns whatever it throws into a message and an exit code. */
@Injectable()
export abstract class BaseCommand<O = Record<string, unknown>> extends CommandRunner {
  constructor(protected readonly ctx: CliContext) {
    super();
  }

  async run(params: string[], options?: Record<string, unknown>): Promise<void> {
    const opts = (options ?? {}) as O;
    this.ctx.verbose = (opts as { verbose?: boolean }).verbose === true;
    try {
      await this.execute(params, opts);
    } catch (err) {
      this.ctx.report(err);
    }
  }

  protected abstract execute(params: string[], options: O): Promise<void>;
}

const collect = (value: string, previous: unknown): string[] => [
  ...(Array.isArray(previous) ? (previous as string[]) : []),
  value,
];

/** A command that talks to the API: --server, --token, --koredump-namespace, --kubeconfig, --context, -v. */
export abstract class ApiCommand<
  O extends ConnectionOptions = ConnectionOptions,
> extends BaseCommand<O> {
  @Option({ ...GLOBAL_OPTIONS.server, name: 'server' })
  parseServer(v: string): string {
    return v;
  }

  @Option({ ...GLOBAL_OPTIONS.token, name: 'token' })
  parseToken(v: string): string {
    return v;
  }

  @Option({ ...GLOBAL_OPTIONS.koredumpNamespace, name: 'koredumpNamespace' })
  parseKoredumpNamespace(v: string): string {
    return v;
  }

  @Option({ ...GLOBAL_OPTIONS.kubeconfig, name: 'kubeconfig' })
  parseKubeconfig(v: string): string {
    return v;
  }

  @Option({ ...GLOBAL_OPTIONS.context, name: 'context' })
  parseContext(v: string): string {
    return v;
  }

  @Option({ ...GLOBAL_OPTIONS.verbose, name: 'verbose' })
  parseVerbose(): boolean {
    return true;
  }
}

/** The filter flags are the query's fields; MATCH arguments come as the command's arguments. */
export interface QueryOptions extends ConnectionOptions, Omit<CoreQuery, 'matches'> {}

/** A command that selects cores: the filter flags and MATCH arguments. */
export abstract class QueryCommand<O extends QueryOptions = QueryOptions> extends ApiCommand<O> {
  @Option({ ...FILTER_OPTIONS.namespace, name: 'namespace' })
  parseNamespace(v: string, prev: unknown): string[] {
    return collect(v, prev);
  }

  @Option({ ...FILTER_OPTIONS.pod, name: 'pod' })
  parsePod(v: string, prev: unknown): string[] {
    return collect(v, prev);
  }

  @Option({ ...FILTER_OPTIONS.container, name: 'container' })
  parseContainer(v: string, prev: unknown): string[] {
    return collect(v, prev);
  }

  @Option({ ...FILTER_OPTIONS.image, name: 'image' })
  parseImage(v: string, prev: unknown): string[] {
    return collect(v, prev);
  }

  @Option({ ...FILTER_OPTIONS.node, name: 'node' })
  parseNode(v: string, prev: unknown): string[] {
    return collect(v, prev);
  }

  @Option({ ...FILTER_OPTIONS.signal, name: 'signal' })
  parseSignalOption(v: string, prev: unknown): string[] {
    try {
      parseSignal(v);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    return collect(v, prev);
  }

  @Option({ ...FILTER_OPTIONS.since, name: 'since' })
  parseSince(v: string): Date {
    return this.time(v);
  }

  @Option({ ...FILTER_OPTIONS.until, name: 'until' })
  parseUntil(v: string): Date {
    return this.time(v);
  }

  private time(v: string): Date {
    try {
      return parseTime(v, this.ctx.environment.now());
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }

  /** True when any filter flag was given (for commands where they make no sense). */
  protected hasFilters(o: O): boolean {
    return ['namespace', 'pod', 'container', 'image', 'node', 'signal', 'since', 'until'].some(
      (k) => o[k as keyof O] !== undefined,
    );
  }

  /**
   * The cores the flags and MATCH arguments select: the server filters what it can, the client
   * checks everything again, then sorts and limits. Warnings of a partial answer go to stderr.
   */
  protected async selectCores(
    matches: string[],
    opts: O,
    selection: Selection = {},
  ): Promise<{ api: ApiClient; cores: CoreRecord[]; filter: CoreFilter; listed: CoreRecord[] }> {
    const q: CoreQuery = { ...opts, matches };
    let filter;
    try {
      filter = buildFilter(q);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const api = await this.ctx.api(opts);
    const { cores, warnings } = await api.listCores(serverQuery(filter));
    for (const w of warnings) this.ctx.warn(`partial result: ${w}`);
    return { api, cores: selectCores(cores, filter, selection), filter, listed: cores };
  }
}
