import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { isCoreFileName } from './core-file-name.js';

/** What the directory index knows about one core file. */
export interface CoreFileInfo {
  readonly id: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

export interface CoreDirectoryEvents {
  added: [CoreFileInfo];
  changed: [CoreFileInfo];
  removed: [string];
  error: [Error];
}

export interface CoreDirectoryOptions {
  /** Full rescan period: the safety net behind the inotify watch. */
  rescanIntervalMs: number;
  /** Coalesces bursts of watch events into one directory read. */
  debounceMs?: number;
}

/**
 * Index of the core files in one directory, kept current by an inotify watch plus a periodic rescan.
 *
 * A core is a regular file whose name starts with `core.`: systemd-coredump's `.#core…` temp files,
 * directories and symlinks (which could point anywhere) are never indexed. No cap on the count.
 */
export class CoreDirectory extends EventEmitter<CoreDirectoryEvents> {
  private readonly files = new Map<string, CoreFileInfo>();
  private watcher?: FSWatcher;
  private rescanTimer?: NodeJS.Timeout;
  private debounceTimer?: NodeJS.Timeout;
  private scanning?: Promise<void>;
  private rescanQueued = false;

  constructor(
    readonly path: string,
    private readonly options: CoreDirectoryOptions,
  ) {
    super();
  }

  /**
   * Reads the directory, then watches it. Never rejects: a directory that is missing or unreadable
   * is reported as an error event and retried at every rescan, so the collector can start (and say
   * it is not ready) before systemd-coredump has created it.
   */
  async start(): Promise<void> {
    this.rescanTimer = setInterval(() => {
      this.rescan(true).catch((err: unknown) => this.emit('error', err as Error));
    }, this.options.rescanIntervalMs);
    this.rescanTimer.unref();
    await this.rescan(true).catch((err: unknown) => this.emit('error', err as Error));
  }

  private watchIfNeeded(): void {
    if (this.watcher) return;
    this.watcher = watch(this.path, { persistent: false }, () => this.scheduleScan());
    this.watcher.on('error', (err) => {
      // The directory itself went away: drop the watch; the next rescan re-creates it.
      this.watcher?.close();
      this.watcher = undefined;
      this.emit('error', err);
    });
  }

  stop(): void {
    this.watcher?.close();
    clearInterval(this.rescanTimer);
    clearTimeout(this.debounceTimer);
  }

  get(id: string): CoreFileInfo | undefined {
    return this.files.get(id);
  }

  all(): IterableIterator<CoreFileInfo> {
    return this.files.values();
  }

  get size(): number {
    return this.files.size;
  }

  /** Re-reads the directory; `full` also re-stats known files to notice rewrites. */
  async rescan(full = false): Promise<void> {
    if (this.scanning) {
      this.rescanQueued = true;
      return this.scanning;
    }
    this.scanning = this.scan(full).finally(() => {
      this.scanning = undefined;
      if (this.rescanQueued) {
        this.rescanQueued = false;
        this.rescan().catch((err: unknown) => this.emit('error', err as Error));
      }
    });
    return this.scanning;
  }

  private scheduleScan(): void {
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.rescan().catch((err: unknown) => this.emit('error', err as Error));
    }, this.options.debounceMs ?? 20);
  }

  private async scan(full: boolean): Promise<void> {
    const dirents = await readdir(this.path, { withFileTypes: true });
    this.watchIfNeeded();
    const seen = new Set<string>();
    const toStat: string[] = [];
    for (const d of dirents) {
      // Dirent types come from readdir itself (no stat): a symlink is never isFile().
      if (!d.isFile() || !isCoreFileName(d.name)) continue;
      seen.add(d.name);
      if (full || !this.files.has(d.name)) toStat.push(d.name);
    }
    for (const id of [...this.files.keys()]) {
      if (!seen.has(id)) {
        this.files.delete(id);
        this.emit('removed', id);
      }
    }
    await mapLimited(toStat, 64, async (id) => {
      let st;
      try {
        st = await lstat(join(this.path, id));
      } catch {
        return; // vanished between readdir and stat: the next scan settles it
      }
      if (!st.isFile()) return;
      const info: CoreFileInfo = { id, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
      const old = this.files.get(id);
      this.files.set(id, info);
      if (!old) this.emit('added', info);
      else if (old.size !== info.size || old.mtimeMs !== info.mtimeMs || old.ino !== info.ino) {
        this.emit('changed', info);
      }
    });
  }
}

async function mapLimited<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
