import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

// Replaced by the bundler (scripts/build-cli.js) with the package version.
declare const KOREDUMPCTL_BUILD_VERSION: string | undefined;

function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'koredump' && pkg.version) return pkg.version;
      } catch {
        // not ours
      }
    }
  }
  return '0.0.0-dev';
}

/** koredumpctl's version: the package version, baked into the bundle at build time. */
export const CLI_VERSION: string =
  typeof KOREDUMPCTL_BUILD_VERSION === 'string' ? KOREDUMPCTL_BUILD_VERSION : packageVersion();

export const USER_AGENT = `koredumpctl/${CLI_VERSION}`;

/**
 * How the user called us: `kubectl koredump` when run as the kubectl plugin (an executable named
 * `kubectl-koredump`), else `koredumpctl`.
 */
export function programName(invokedAs: string | undefined): string {
  return invokedAs && basename(invokedAs).startsWith('kubectl-koredump')
    ? 'kubectl koredump'
    : 'koredumpctl';
}
