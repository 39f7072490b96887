import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import {
  coredumpConfFiles,
  parseCoredumpConf,
  SYSTEMD_CONFIG_DIRS,
  type ConfDirListing,
  type ConfFile,
  type ParsedCoredumpConf,
} from './coredump-conf.js';

export interface HostCoredumpConf extends ParsedCoredumpConf {
  /** The files applied, in order, as host paths (without the root prefix). */
  files: string[];
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return []; // absent (or not mounted): nothing from there
  }
}

/**
 * Reads the host's coredump.conf and drop-ins below `hostRoot` (the host's / as mounted, e.g.
 * /host; "/" when running on the host) and computes the effective configuration. A file that
 * exists but cannot be read is reported as a problem, never silently skipped.
 */
export async function readHostCoredumpConf(
  hostRoot: string,
  dirs: readonly string[] = SYSTEMD_CONFIG_DIRS,
): Promise<HostCoredumpConf> {
  const under = (p: string): string => join(hostRoot, p);
  const listings: ConfDirListing[] = await Promise.all(
    dirs.map(async (dir) => ({
      dir,
      hasMain: await isFile(under(`${dir}/coredump.conf`)),
      dropIns: await names(under(`${dir}/coredump.conf.d`)),
    })),
  );
  const files = coredumpConfFiles(listings);
  const texts: ConfFile[] = [];
  const unreadable: ParsedCoredumpConf['problems'] = [];
  for (const path of files) {
    try {
      texts.push({ path, text: await readFile(under(path), 'utf8') });
    } catch (err) {
      unreadable.push({ file: path, line: 0, message: `cannot read: ${(err as Error).message}` });
    }
  }
  const parsed = parseCoredumpConf(texts);
  return { ...parsed, problems: [...unreadable, ...parsed.problems], files };
}
