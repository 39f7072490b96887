import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { CoreDirectory, readCoredumpXattrs, type CoreFileInfo } from '@koredump/coredump';
import {
  CoredumpJournalFollower,
  readCoredumpEntries,
  readCoredumpEntryForFile,
  type JournalFields,
  type JournalSource,
  type ParsedJournalEntry,
} from '@koredump/journal';
import { arch } from 'node:os';
import { basename, join } from 'node:path';

import { CollectorConfig } from '../collector.config.js';
import {
  buildCoreRecord,
  INDEX_JOURNAL_FIELDS,
  toFullRecord,
  toListRecord,
  type CoreRecord,
} from './core-record.js';

/** uname -m spelling, as the original's ARCH field. */
const ARCH_NAMES: Record<string, string> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  ia32: 'i686',
  ppc64: 'ppc64le',
};

interface IndexedCore {
  file: CoreFileInfo;
  record: CoreRecord;
  /** The list record serialized once, so a list of 10,000 cores is a string join. */
  listJson: string;
  /** COREDUMP_FILENAME as the journal has it (the host path), for the full-entry lookup. */
  journalFilename?: string;
  /** xattrs learnt for a core the journal has no entry for (yet). */
  xattrs?: Record<string, string>;
}

/** Full records are big (maps, environment); keep only the most recently asked for. */
const FULL_RECORD_CACHE_SIZE = 64;

/**
 * The node's cores: the directory index merged with the journal's coredump entries (followed live)
 * and, when the journal has no entry, the files' xattrs.
 */
@Injectable()
export class CoreCatalog implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(CoreCatalog.name);
  private readonly cores = new Map<string, IndexedCore>();
  /** Journal fields by core file name; an entry may arrive before or after its file. */
  private readonly journalByFile = new Map<string, JournalFields>();
  private readonly fullRecords = new Map<string, Promise<Record<string, unknown> | undefined>>();
  private sorted?: IndexedCore[];
  private readonly directory: CoreDirectory;
  private readonly follower: CoredumpJournalFollower;
  private readonly journal: JournalSource;
  private readonly arch = ARCH_NAMES[arch()] ?? arch();
  private journalError?: string;

  constructor(private readonly config: CollectorConfig) {
    this.journal = { directory: config.journalDir };
    this.directory = new CoreDirectory(config.coreDir, {
      rescanIntervalMs: config.rescanIntervalMs,
    });
    this.follower = new CoredumpJournalFollower(this.journal, INDEX_JOURNAL_FIELDS);
  }

  async onModuleInit(): Promise<void> {
    const started = Date.now();
    let lastCursor: string | undefined;
    try {
      const entries = await readCoredumpEntries(this.journal, INDEX_JOURNAL_FIELDS);
      for (const entry of entries) this.rememberJournalEntry(entry);
      lastCursor = entries.at(-1)?.cursor;
    } catch (err) {
      // The API still serves cores from xattrs and names; readiness reports the journal problem.
      this.journalError = (err as Error).message;
      this.logger.error(`reading the journal failed: ${this.journalError}`);
    }
    this.directory.on('error', (err) => this.logger.error(`core directory: ${err.message}`));
    await this.directory.start();
    await Promise.all([...this.directory.all()].map((file) => this.upsertFile(file)));
    this.directory.on('added', (file) => void this.upsertFile(file));
    this.directory.on('changed', (file) => void this.upsertFile(file));
    this.directory.on('removed', (id) => this.removeFile(id));
    this.follower.on('entry', (entry) => this.onJournalEntry(entry));
    this.follower.on('error', (err) => {
      this.journalError = err.message;
      this.logger.warn(`journal follower: ${err.message}`);
    });
    this.follower.start(lastCursor);
    this.logger.log(
      `indexed ${this.cores.size} cores in ${this.config.coreDir} (${this.journalByFile.size} journal entries) in ${Date.now() - started} ms`,
    );
  }

  onApplicationShutdown(): void {
    this.follower.stop();
    this.directory.stop();
  }

  /** Readiness facts for /readyz. */
  status(): { journalFollowing: boolean; journalError?: string; cores: number } {
    return {
      journalFollowing: this.follower.running,
      journalError: this.journalError,
      cores: this.cores.size,
    };
  }

  /** Visible cores (namespace filter applied), oldest first. */
  list(): readonly { record: CoreRecord; listJson: string }[] {
    this.sorted ??= [...this.cores.values()]
      .filter((c) => this.visible(c.record))
      .sort(
        (a, b) => a.record.timestamp - b.record.timestamp || (a.record.id < b.record.id ? -1 : 1),
      );
    return this.sorted;
  }

  /** The visible core with this id, or undefined. */
  get(id: string): CoreRecord | undefined {
    const core = this.cores.get(id);
    return core && this.visible(core.record) ? core.record : undefined;
  }

  /** The full record (every journal field) of a visible core, or undefined. */
  async getFull(id: string): Promise<Record<string, unknown> | undefined> {
    const core = this.cores.get(id);
    if (!core || !this.visible(core.record)) return undefined;
    const key = `${id}\0${core.file.ino}\0${core.journalFilename ?? ''}`;
    let pending = this.fullRecords.get(key);
    if (!pending) {
      pending = this.loadFull(core).catch((err: unknown) => {
        this.fullRecords.delete(key);
        throw err;
      });
      this.fullRecords.set(key, pending);
      if (this.fullRecords.size > FULL_RECORD_CACHE_SIZE) {
        this.fullRecords.delete(this.fullRecords.keys().next().value as string);
      }
    }
    return pending;
  }

  /** Absolute directory the cores are read from. */
  get coreDir(): string {
    return this.config.coreDir;
  }

  private async loadFull(core: IndexedCore): Promise<Record<string, unknown>> {
    let journal: JournalFields | undefined;
    if (core.journalFilename) {
      journal = (await readCoredumpEntryForFile(this.journal, core.journalFilename))?.fields;
    }
    const xattrs = journal
      ? undefined
      : await readCoredumpXattrs(join(this.config.coreDir, core.file.id));
    return toFullRecord(
      buildCoreRecord({
        file: core.file,
        journal: journal ?? this.journalByFile.get(core.file.id),
        xattrs,
        nodeName: this.config.nodeName,
        arch: this.arch,
      }),
    );
  }

  private visible(record: CoreRecord): boolean {
    const filter = this.config.namespaceFilter;
    // With a filter, a core whose namespace is unknown is hidden: deny by default.
    return !filter || (record.namespace !== undefined && filter.test(record.namespace));
  }

  private rememberJournalEntry(entry: ParsedJournalEntry): string | undefined {
    const filename = entry.fields.COREDUMP_FILENAME;
    // Entries without a file (Storage=journal/none, or nothing written) describe no core file.
    if (typeof filename !== 'string') return undefined;
    const id = basename(filename);
    this.journalByFile.set(id, entry.fields);
    return id;
  }

  private onJournalEntry(entry: ParsedJournalEntry): void {
    this.journalError = undefined;
    const id = this.rememberJournalEntry(entry);
    const core = id ? this.cores.get(id) : undefined;
    if (core) this.index(core.file, undefined);
  }

  private async upsertFile(file: CoreFileInfo): Promise<void> {
    const hasJournal = this.journalByFile.has(file.id);
    let xattrs: Record<string, string> | undefined;
    if (!hasJournal) {
      // Index it at once from the name, then enrich from xattrs (systemd-coredump sets them
      // before the file appears, so they are there even when the journal entry is late).
      this.index(file, undefined);
      xattrs = await readCoredumpXattrs(join(this.config.coreDir, file.id));
      if (this.directory.get(file.id) !== file) return; // replaced or removed meanwhile
    }
    this.index(file, xattrs);
  }

  private index(file: CoreFileInfo, xattrs: Record<string, string> | undefined): void {
    const journal = this.journalByFile.get(file.id);
    const previous = this.cores.get(file.id);
    const record = buildCoreRecord({
      file,
      journal,
      // Keep xattrs learnt earlier for this file until a journal entry replaces them.
      xattrs: journal ? undefined : (xattrs ?? previous?.xattrs),
      nodeName: this.config.nodeName,
      arch: this.arch,
    });
    const filename = journal?.COREDUMP_FILENAME;
    this.cores.set(file.id, {
      file,
      record,
      listJson: JSON.stringify(toListRecord(record)),
      journalFilename: typeof filename === 'string' ? filename : undefined,
      xattrs: journal ? undefined : (xattrs ?? previous?.xattrs),
    });
    this.sorted = undefined;
  }

  private removeFile(id: string): void {
    this.cores.delete(id);
    this.journalByFile.delete(id);
    this.sorted = undefined;
  }
}
