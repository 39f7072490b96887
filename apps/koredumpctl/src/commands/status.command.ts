import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { Command } from 'nest-commander';

import { ApiClient } from '../api/api-client.js';
import type { ConnectionOptions } from '../api/connection.js';
import { CliError } from '../errors.js';
import { corePatternOk, formatNodeHealth, formatNodes, parseNodes } from '../format/status.js';
import { CLI_VERSION } from '../version.js';
import { ApiCommand } from './base.command.js';

@Command({
  name: 'status',
  description: 'Check the API, every node collector, this host and the CLI version',
})
export class StatusCommand extends ApiCommand {
  protected async execute(_args: string[], opts: ConnectionOptions): Promise<void> {
    const out = this.ctx.out;
    const s = out.style;
    let failure: CliError | undefined;
    try {
      const api = await this.ctx.api(opts);
      await this.apiStatus(api);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      failure = err;
      out.stdout(`${s.bold('koredump API:')} ${s.red('unavailable')}\n`);
    }
    await this.corePattern();
    out.stdout(`${s.bold('koredumpctl version:')} ${CLI_VERSION}\n`);
    if (failure) throw failure;
  }

  private async apiStatus(api: ApiClient): Promise<void> {
    const out = this.ctx.out;
    const s = out.style;
    // The health route is public: reachability is told apart from a bad token.
    const health = await api.send('/healthz');
    await ApiClient.text(health).catch(() => '');
    const version = await api.apiVersion().catch(() => undefined);
    const healthy = (health.statusCode ?? 0) < 300;
    out.stdout(
      `${s.bold('koredump API:')} ${api.endpoint.description} (${healthy ? s.green('reachable') : s.yellow(`answers ${health.statusCode} on /healthz`)}${version ? `, version ${version}` : ''})\n`,
    );
    out.stdout(
      `${s.bold('Token:')} ${api.endpoint.tokenSource ? `from ${api.endpoint.tokenSource}` : 'none'}\n`,
    );
    const nodes = parseNodes(await api.nodes());
    const ready = nodes.filter((n) => n.ready === true).length;
    out.stdout(`${s.bold('Nodes:')} ${nodes.length} (${ready} ready)\n`);
    if (nodes.length) out.stdout(formatNodes(nodes, s));
    const counted = nodes.filter((n) => n.cores !== undefined);
    let cores: number;
    if (nodes.length > 0 && counted.length === nodes.length) {
      cores = counted.reduce((a, n) => a + (n.cores ?? 0), 0);
    } else {
      cores = (await api.listCores()).cores.length;
    }
    out.stdout(`${s.bold('Core count in cluster:')} ${cores}\n`);
    // Warnings are reported, not failed on: status exits 1 only when the API cannot be reached.
    out.stdout(formatNodeHealth(nodes, s));
  }

  /** The original's check of this host's core_pattern (systemd-coredump must be the handler). */
  private async corePattern(): Promise<void> {
    const s = this.ctx.out.style;
    const file =
      this.ctx.environment.env.KOREDUMP_CORE_PATTERN_FILE ?? '/proc/sys/kernel/core_pattern';
    let text: string;
    try {
      const pattern = (await readFile(file, 'utf8')).trim();
      text = corePatternOk(pattern)
        ? s.green(pattern)
        : `${s.yellow(pattern)} ${s.red('unsupported core_pattern!')} (koredump needs systemd-coredump)`;
    } catch (err) {
      text = `cannot read: ${(err as Error).message}`;
    }
    this.ctx.out.stdout(`${s.bold(`${file} [HOSTNAME=${hostname()}]:`)} ${text}\n`);
  }
}
