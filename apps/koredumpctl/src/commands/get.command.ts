import { mkdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { Command, Option } from 'nest-commander';

import type { ApiClient } from '../api/api-client.js';
import { downloadCore, writeFileAtomic } from '../api/download.js';
import { idWithoutSuffix, isCompressed, type CoreRecord } from '../core-record.js';
import { CliError, UsageError } from '../errors.js';
import { formatSize } from '../format/units.js';
import { GET_OPTIONS } from '../options.js';
import { ProgressBar } from '../progress-bar.js';
import { QueryCommand, type QueryOptions } from './base.command.js';
import { MATCH_HELP } from './list.command.js';

export interface GetOptions extends QueryOptions {
  newest?: boolean;
  all?: boolean;
  decompress?: boolean;
  outputDir?: string;
  continue?: boolean;
}

/** A core id is used as a local file name: refuse anything that could leave the directory. */
export function assertSafeFileName(id: string): void {
  if (
    id === '' ||
    id === '.' ||
    id === '..' ||
    id.includes('/') ||
    id.includes('\0') ||
    id.length > 255
  ) {
    throw new CliError(
      `refusing to save a core with the id ${JSON.stringify(id)}: not a plain file name`,
    );
  }
}

@Command({
  name: 'get',
  aliases: ['dump'],
  arguments: '[NODE_ID_OR_MATCH...]',
  description: 'Download cores and their metadata: NODE ID, -1 (the newest match) or -a (all)',
  argsDescription: { NODE_ID_OR_MATCH: `NODE ID of one core; with -1 or -a, ${MATCH_HELP}` },
})
export class GetCommand extends QueryCommand<GetOptions> {
  @Option({ ...GET_OPTIONS.newest, name: 'newest' })
  parseNewest(): boolean {
    return true;
  }

  @Option({ ...GET_OPTIONS.all, name: 'all' })
  parseAll(): boolean {
    return true;
  }

  @Option({ ...GET_OPTIONS.decompress, name: 'decompress' })
  parseDecompress(): boolean {
    return true;
  }

  @Option({ ...GET_OPTIONS.outputDir, name: 'outputDir' })
  parseOutputDir(v: string): string {
    return v;
  }

  @Option({ ...GET_OPTIONS.continue, name: 'continue' })
  parseContinue(): boolean {
    return true;
  }

  protected async execute(args: string[], opts: GetOptions): Promise<void> {
    if (opts.newest && opts.all) throw new UsageError('use either -1 or -a');
    let api: ApiClient;
    let targets: Pick<CoreRecord, 'id' | 'node'>[];
    if (opts.newest || opts.all) {
      const found = await this.selectCores(args, opts, { newest: opts.newest });
      api = found.api;
      targets = found.cores;
      if (targets.length === 0) {
        this.ctx.nothingFound();
        return;
      }
    } else {
      if (args.length !== 2) {
        throw new UsageError(
          args.length === 0
            ? 'which core? Give NODE ID, or -1 (the newest), or -a (all)'
            : 'give NODE and ID (two arguments), or use -1 / -a with MATCH arguments',
          'find them with `koredumpctl list -o wide`',
        );
      }
      if (this.hasFilters(opts)) {
        throw new UsageError('filters work with -1 or -a, not with NODE ID');
      }
      targets = [{ node: args[0], id: args[1] }];
      api = await this.ctx.api(opts);
    }
    const cwd = this.ctx.environment.cwd();
    const dir = opts.outputDir
      ? isAbsolute(opts.outputDir)
        ? opts.outputDir
        : join(cwd, opts.outputDir)
      : cwd;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (!(await stat(dir)).isDirectory()) throw new CliError(`${dir} is not a directory`);

    let failed = 0;
    for (const t of targets) {
      try {
        await this.getOne(api, t, dir, cwd, opts);
      } catch (err) {
        if (targets.length === 1) throw err;
        failed++;
        this.ctx.report(err);
      }
    }
    if (failed > 0) {
      throw new CliError(`${failed} of ${targets.length} cores could not be downloaded`);
    }
  }

  private async getOne(
    api: ApiClient,
    target: Pick<CoreRecord, 'id' | 'node'>,
    dir: string,
    cwd: string,
    opts: GetOptions,
  ): Promise<void> {
    const { id, node } = target;
    if (!node) throw new CliError(`core ${id} has no node; cannot download it`);
    assertSafeFileName(id);
    const base = idWithoutSuffix(id);
    // Metadata first: an unknown core or a missing permission fails before any download.
    const metadata = await api.metadata(node, id);
    const progress = ProgressBar.for(this.ctx.out);
    // Paths as the user would type them: ./name inside the working directory, else absolute.
    const show = (p: string): string => {
      const r = relative(cwd, p);
      return r.startsWith('..') || isAbsolute(r) ? p : `./${r}`;
    };
    const core = await downloadCore(api, {
      node,
      id,
      dest: join(dir, id),
      resume: opts.continue,
      progress,
    });
    this.saved(show(core.path), core.bytes, core.reused);
    const metaPath = join(dir, `${base}.json`);
    const metaText = `${JSON.stringify(metadata, null, 2)}\n`;
    await writeFileAtomic(metaPath, metaText);
    this.saved(show(metaPath), Buffer.byteLength(metaText), 0);
    if (!opts.decompress) return;
    if (!isCompressed({ id, compression: metadata.compression })) {
      this.ctx.log(`${id} is not compressed: ${show(core.path)} is the core itself`);
      return;
    }
    const plain = await downloadCore(api, {
      node,
      id,
      dest: join(dir, base),
      decompress: true,
      progress,
      label: `${base} (decompressing)`,
    });
    if (plain.bytes === 0) throw new CliError(`the decompressed core of ${id} is empty`);
    this.saved(show(plain.path), plain.bytes, 0);
  }

  private saved(path: string, bytes: number, reused: number): void {
    const note =
      reused === bytes && reused > 0
        ? ', already complete'
        : reused > 0
          ? `, resumed at ${formatSize(reused)}`
          : '';
    this.ctx.out.stdout(`Saved ${path} (${formatSize(bytes)}${note})\n`);
  }
}
