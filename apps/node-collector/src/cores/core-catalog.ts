import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  isApiAttribution,
  parsePodLogDirName,
  PodIndex,
  type MemoryLimits,
  type PodLogDir,
} from '@koredump/attribution';
import { CoreDirectory, readCoredumpXattrs, type CoreFileInfo } from '@koredump/coredump';
import {
  CoredumpJournalFollower,
  readCoredumpEntries,
  readCoredumpEntryForFile,
  type JournalFields,
  type JournalSource,
  type ParsedJournalEntry,
} from '@koredump/journal';
import { PodWatcher } from '@koredump/k8s';
import type { CrashSummary } from '@koredump/crash';
import type { V1Pod } from '@kubernetes/client-node';
import { EventEmitter } from 'node:events';
import { readdir } from 'node:fs/promises';
import { arch } from 'node:os';
import { basename, join } from 'node:path';

import { ClusterConnection } from '../cluster.js';
import { CollectorConfig } from '../collector.config.js';
import {
  ATTRIBUTION_FIELDS,
  buildCoreRecord,
  INDEX_JOURNAL_FIELDS,
  redactRecord,
  summarizeCrash,
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

/** One core as the index keeps it. */
export interface IndexedCore {
  file: CoreFileInfo;
  record: CoreRecord;
  /** The list record serialized once, so a list of 10,000 cores is a string join. */
  listJson: string;
  /** The same without sensitive fields, for callers without `coredumps/sensitive`. */
  listJsonRedacted: string;
  /** COREDUMP_FILENAME as the journal has it (the host path), for the full-entry lookup. */
  journalFilename?: string;
  /** xattrs learnt for a core the journal has no entry for (yet). */
  xattrs?: Record<string, string>;
  /** Whether `changes` has announced this core ('added' sent). */
  announced?: boolean;
}

/**
 * What `CoreCatalog.changes` emits. Nothing is emitted before 'ready'; the cores present at start
 * come with 'ready', not as 'added'.
 * - 'ready': the initial index is built (every core present at start, announced quietly).
 * - 'added': a core new since start, once its record is settled (journal entry or xattrs read), so
 *   listeners see its signal, comm and pid, not just the file name. Emitted once per core id. The
 *   xattrs carry no cgroup: when the file comes first (the usual order), the pod and namespace
 *   arrive ~0.1–0.5 s later with the journal entry, as 'updated'. Listeners that need the pod
 *   (events, the new-cores counter) wait for it; the watch stream sends both.
 * - 'updated': an announced core's record changed (late journal entry, re-attribution).
 * - 'removed': an announced core's file is gone.
 * Every core is emitted whatever the namespace filter; listeners check `catalog.visible()`.
 */
export interface CatalogChangeEvents {
  ready: [cores: readonly IndexedCore[]];
  added: [core: IndexedCore];
  updated: [core: IndexedCore, previous: IndexedCore];
  removed: [core: IndexedCore];
}

/** A typed view of the catalog's EventEmitter. */
export interface CatalogChanges {
  on<K extends keyof CatalogChangeEvents>(
    event: K,
    listener: (...args: CatalogChangeEvents[K]) => void,
  ): this;
  off<K extends keyof CatalogChangeEvents>(
    event: K,
    listener: (...args: CatalogChangeEvents[K]) => void,
  ): this;
  emit<K extends keyof CatalogChangeEvents>(event: K, ...args: CatalogChangeEvents[K]): boolean;
}

/** Measurements for /metrics, kept apart from the change feed (they describe timing, not cores). */
export interface CatalogMeasurementEvents {
  /**
   * A live journal entry was merged into a core whose file was already indexed: seconds from the
   * file's mtime (systemd-coredump finished writing it) to the merge.
   */
  journalLag: [seconds: number];
}

/** Full records are big (maps, environment); keep only the most recently asked for. */
const FULL_RECORD_CACHE_SIZE = 64;
/** kubelet's pod log directories change when pods come and go; re-read at most this often. */
const POD_LOGS_MAX_AGE_MS = 1000;

type PodLogs = Map<string, PodLogDir & { containers: string[] }>;

/**
 * Once the API has named a core's pod, that answer stands: a pod forgotten later (tombstone
 * expired) must not turn a named core back into an anonymous one.
 */
function keepApiAttribution(previous: CoreRecord | undefined, next: CoreRecord): CoreRecord {
  if (
    !previous ||
    !isApiAttribution(previous.attribution.source) ||
    isApiAttribution(next.attribution.source) ||
    previous.podUID !== next.podUID
  ) {
    return next;
  }
  const kept: CoreRecord = { ...next };
  for (const key of ATTRIBUTION_FIELDS) (kept as Record<string, unknown>)[key] = previous[key];
  return kept;
}

/**
 * The node's cores: the directory index merged with the journal's coredump entries (followed live)
 * and, when the journal has no entry, the files' xattrs; each core attributed to its pod through
 * the Kubernetes API (a pod watch on this node), conmon, kubelet's pod log directories or the
 * hostname, and re-attributed when the pods it may belong to change.
 */
@Injectable()
export class CoreCatalog implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(CoreCatalog.name);
  private readonly cores = new Map<string, IndexedCore>();
  /** Journal fields by core file name; an entry may arrive before or after its file. */
  private readonly journalByFile = new Map<string, JournalFields>();
  /** The stack trace summary of those entries (their MESSAGE is parsed once, then dropped). */
  private readonly crashByFile = new Map<string, CrashSummary>();
  private readonly fullRecords = new Map<string, Promise<Record<string, unknown> | undefined>>();
  private sorted?: IndexedCore[];
  /** The whole list as one response body, built once per change of the index. */
  private wholeList?: Buffer;
  private namespacesSeen?: Set<string | undefined>;
  private readonly directory: CoreDirectory;
  private readonly follower: CoredumpJournalFollower;
  private readonly journal: JournalSource;
  private readonly arch = ARCH_NAMES[arch()] ?? arch();
  private journalError?: string;
  private readonly podIndex?: PodIndex;
  private readonly podWatcher?: PodWatcher;
  private podWatchError?: string;
  private podLogs: PodLogs = new Map();
  private podLogsReadAt = 0;
  private initialIndexDone = false;
  /** Live changes of the index; see CatalogChangeEvents. */
  readonly changes: CatalogChanges = new EventEmitter().setMaxListeners(0);
  /** Timing measurements for /metrics; see CatalogMeasurementEvents. */
  readonly measurements = new EventEmitter<CatalogMeasurementEvents>();
  /** Seconds the initial index took (set when 'ready' is emitted). */
  indexBuildSeconds?: number;

  constructor(
    private readonly config: CollectorConfig,
    cluster: ClusterConnection,
  ) {
    this.journal = { directory: config.journalDir };
    this.directory = new CoreDirectory(config.coreDir, {
      rescanIntervalMs: config.rescanIntervalMs,
    });
    this.follower = new CoredumpJournalFollower(this.journal, INDEX_JOURNAL_FIELDS);
    if (cluster.kubeConfig) {
      this.podIndex = new PodIndex();
      this.podWatcher = new PodWatcher(cluster.kubeConfig, {
        fieldSelector: `spec.nodeName=${config.nodeName}`,
      });
    }
  }

  async onModuleInit(): Promise<void> {
    const started = Date.now();
    this.directory.on('error', (err) => this.logger.error(`core directory: ${err.message}`));
    this.directory.on('removed', (id) => this.removeFile(id));
    // The journal read (the slow part) and the directory scan run side by side; once the scan is
    // done, each journal entry indexes its core as it is parsed.
    let scanned = false;
    const journalRead = readCoredumpEntries(this.journal, INDEX_JOURNAL_FIELDS, (entry) => {
      const id = this.rememberJournalEntry(entry);
      const file = scanned && id ? this.directory.get(id) : undefined;
      if (file) this.index(file, undefined);
    }).catch((err: unknown) => {
      // The API still serves cores from xattrs and names; readiness reports the journal problem.
      this.journalError = (err as Error).message;
      this.logger.error(`reading the journal failed: ${this.journalError}`);
      return undefined;
    });
    await Promise.all([this.directory.start(), this.refreshPodLogs()]);
    // From here on new files index themselves; the initial ones are indexed below.
    this.directory.on('added', (file) => void this.upsertFile(file));
    this.directory.on('changed', (file) => void this.upsertFile(file));
    for (const file of this.directory.all()) {
      if (this.journalByFile.has(file.id)) this.index(file, undefined);
    }
    scanned = true;
    const lastCursor = await journalRead;
    await Promise.all(
      [...this.directory.all()]
        .filter((file) => !this.cores.has(file.id))
        .map((file) => this.upsertFile(file)),
    );
    this.follower.on('entry', (entry) => this.onJournalEntry(entry));
    this.follower.on('error', (err) => {
      this.journalError = err.message;
      this.logger.warn(`journal follower: ${err.message}`);
    });
    this.follower.start(lastCursor);
    this.watchPods();
    for (const core of this.cores.values()) core.announced = true;
    this.initialIndexDone = true;
    this.indexBuildSeconds = (Date.now() - started) / 1000;
    this.changes.emit('ready', [...this.cores.values()]);
    this.logger.log(
      `indexed ${this.cores.size} cores in ${this.config.coreDir} (${this.journalByFile.size} journal entries) in ${Date.now() - started} ms`,
    );
  }

  onApplicationShutdown(): void {
    this.podWatcher?.stop();
    this.follower.stop();
    this.directory.stop();
  }

  /** Whether the initial index is built ('ready' was emitted). */
  get ready(): boolean {
    return this.initialIndexDone;
  }

  /** Facts for /readyz and /apiv1/node. */
  status(): {
    journalFollowing: boolean;
    journalError?: string;
    cores: number;
    pods?: { synced: boolean; known: number; error?: string };
  } {
    return {
      journalFollowing: this.follower.running,
      journalError: this.journalError,
      cores: this.cores.size,
      pods: this.podWatcher && {
        synced: this.podWatcher.synced,
        known: this.podIndex?.size ?? 0,
        error: this.podWatchError,
      },
    };
  }

  /**
   * Every core file on the node (namespace filter NOT applied: this is the disk's view, for
   * /apiv1/node): how many, their bytes, and the crash time of the oldest (epoch ms).
   */
  usage(): { cores: number; bytes: number; oldestTimestamp?: number } {
    let bytes = 0;
    let oldest: number | undefined;
    for (const { file, record } of this.cores.values()) {
      bytes += file.size;
      if (oldest === undefined || record.timestamp < oldest) oldest = record.timestamp;
    }
    return { cores: this.cores.size, bytes, oldestTimestamp: oldest };
  }

  /** Memory limits of the pods on this node (undefined without the Kubernetes API). */
  podMemoryLimits(): MemoryLimits | undefined {
    return this.podIndex?.memoryLimits();
  }

  /** Visible cores (namespace filter applied), oldest first. */
  list(): readonly IndexedCore[] {
    this.sorted ??= [...this.cores.values()]
      .filter((c) => this.visible(c.record))
      .sort(
        (a, b) => a.record.timestamp - b.record.timestamp || (a.record.id < b.record.id ? -1 : 1),
      );
    return this.sorted;
  }

  /** The namespaces of the visible cores (undefined: cores with no namespace). */
  namespaces(): ReadonlySet<string | undefined> {
    this.namespacesSeen ??= new Set(this.list().map((c) => c.record.namespace));
    return this.namespacesSeen;
  }

  /** The unfiltered list, as the JSON body sent to a caller who may see all of it in full. */
  wholeListBody(): Buffer {
    this.wholeList ??= Buffer.from(
      `[${this.list()
        .map((c) => c.listJson)
        .join(',')}]`,
    );
    return this.wholeList;
  }

  /** The visible core with this id, or undefined. */
  get(id: string): CoreRecord | undefined {
    const core = this.cores.get(id);
    return core && this.visible(core.record) ? core.record : undefined;
  }

  /** The full record (every journal field) of a visible core, or undefined. */
  async getFull(id: string, redacted = false): Promise<Record<string, unknown> | undefined> {
    const core = this.cores.get(id);
    if (!core || !this.visible(core.record)) return undefined;
    // Attribution is part of the key: a re-attributed core is rebuilt.
    const key = [
      id,
      core.file.ino,
      core.journalFilename,
      JSON.stringify(core.record.attribution),
      core.record.pod,
    ].join('\0');
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
    const full = await pending;
    return full && redacted ? redactRecord(full) : full;
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
      this.build(core.file, journal ?? this.journalByFile.get(core.file.id), xattrs),
    );
  }

  private build(
    file: CoreFileInfo,
    journal: JournalFields | undefined,
    xattrs: Record<string, string> | undefined,
  ): CoreRecord {
    return buildCoreRecord({
      file,
      journal,
      xattrs,
      crash: this.crashByFile.get(file.id),
      nodeName: this.config.nodeName,
      arch: this.arch,
      podIndex: this.podIndex,
      podLogs: this.podLogs,
    });
  }

  /** Whether the namespace filter lets this core be served. */
  visible(record: CoreRecord): boolean {
    const filter = this.config.namespaceFilter;
    // With a filter, a core whose namespace is unknown is hidden: deny by default.
    return !filter || (record.namespace !== undefined && filter.test(record.namespace));
  }

  private rememberJournalEntry(entry: ParsedJournalEntry): string | undefined {
    const filename = entry.fields.COREDUMP_FILENAME;
    // Entries without a file (Storage=journal/none, or nothing written) describe no core file.
    if (typeof filename !== 'string') return undefined;
    const id = basename(filename);
    // Keep the signature and top frames, not the message: kilobytes per core otherwise.
    const { MESSAGE: _message, ...fields } = entry.fields;
    const crash = summarizeCrash(entry.fields);
    this.journalByFile.set(id, fields);
    if (crash) this.crashByFile.set(id, crash);
    else this.crashByFile.delete(id);
    return id;
  }

  private onJournalEntry(entry: ParsedJournalEntry): void {
    this.journalError = undefined;
    const filename = entry.fields.COREDUMP_FILENAME;
    const firstEntry = typeof filename === 'string' && !this.journalByFile.has(basename(filename));
    const id = this.rememberJournalEntry(entry);
    const core = id ? this.cores.get(id) : undefined;
    if (core) {
      if (firstEntry) {
        this.measurements.emit('journalLag', Math.max(0, Date.now() - core.file.mtimeMs) / 1000);
      }
      this.index(core.file, undefined);
    }
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
    this.index(file, xattrs ?? {});
    const { record } = this.cores.get(file.id) ?? {};
    if (record?.podUID && record.attribution.source === 'none' && (await this.refreshPodLogs())) {
      this.reattribute((c) => c.record.podUID === record.podUID);
    }
  }

  private index(file: CoreFileInfo, xattrs: Record<string, string> | undefined): void {
    const journal = this.journalByFile.get(file.id);
    const previous = this.cores.get(file.id);
    // Keep xattrs learnt earlier for this file until a journal entry replaces them.
    const keptXattrs = journal ? undefined : (xattrs ?? previous?.xattrs);
    const record = keepApiAttribution(previous?.record, this.build(file, journal, keptXattrs));
    const list = toListRecord(record);
    const listJson = JSON.stringify(list);
    // The list record's only sensitive field is the command line: when it is the program alone
    // (nothing cut), the redacted record is the list record and shares its string.
    const redacted = redactRecord(list);
    const filename = journal?.COREDUMP_FILENAME;
    const core: IndexedCore = {
      file,
      record,
      listJson,
      listJsonRedacted: redacted.redacted ? JSON.stringify(redacted) : listJson,
      journalFilename: typeof filename === 'string' ? filename : undefined,
      xattrs: keptXattrs,
      announced: previous?.announced,
    };
    this.cores.set(file.id, core);
    // A rebuild that lists the same (most re-attributions: a pod event that changed nothing the
    // list shows) keeps the whole-list body: order, visibility and JSON all derive from listJson.
    this.invalidateList(previous?.listJson !== core.listJson);
    if (!this.initialIndexDone) return;
    // Settled: the journal entry or the xattrs have been read, so signal and pod are known.
    const settled = journal !== undefined || keptXattrs !== undefined;
    if (!core.announced && settled) {
      core.announced = true;
      this.changes.emit('added', core);
    } else if (core.announced && previous && previous.listJson !== core.listJson) {
      this.changes.emit('updated', core, previous);
    }
  }

  private removeFile(id: string): void {
    const core = this.cores.get(id);
    this.cores.delete(id);
    this.journalByFile.delete(id);
    this.crashByFile.delete(id);
    this.invalidateList();
    if (core?.announced) this.changes.emit('removed', core);
  }

  /**
   * Drops the sorted list (it holds the IndexedCore objects, whose records must be current) and,
   * when what the list shows changed, the serialized body and the namespaces derived from it.
   */
  private invalidateList(listChanged = true): void {
    this.sorted = undefined;
    if (!listChanged) return;
    this.wholeList = undefined;
    this.namespacesSeen = undefined;
  }

  /** Rebuilds the records of the cores `which` selects (their pod may have become known). */
  private reattribute(which: (core: IndexedCore) => boolean): void {
    // index() only replaces the values of existing keys: iterating the map itself is safe.
    for (const core of this.cores.values()) {
      if (which(core)) this.index(core.file, core.xattrs);
    }
  }

  private watchPods(): void {
    const watcher = this.podWatcher;
    const index = this.podIndex;
    if (!watcher || !index) return;
    const touches = (pod: V1Pod) => {
      const keys = new Set([
        pod.metadata?.uid,
        pod.metadata?.annotations?.['kubernetes.io/config.hash'],
      ]);
      return (core: IndexedCore) => !!core.record.podUID && keys.has(core.record.podUID);
    };
    // Re-attribute only when the index changed (PodIndex.version): the relist every resync
    // period re-delivers every pod, mostly unchanged, and would rebuild every core's record.
    const changes = (update: () => void): boolean => {
      const before = index.version;
      update();
      return index.version !== before;
    };
    watcher.on('synced', (pods) => {
      this.podWatchError = undefined;
      if (changes(() => index.replaceAll(pods))) this.reattribute((core) => !!core.record.podUID);
    });
    watcher.on('upsert', (pod) => {
      if (changes(() => index.upsert(pod))) this.reattribute(touches(pod));
    });
    watcher.on('delete', (pod) => {
      if (changes(() => index.remove(pod))) this.reattribute(touches(pod));
    });
    watcher.on('error', (err) => {
      this.podWatchError = err.message;
      this.logger.warn(`pod watch: ${err.message}`);
    });
    watcher.start();
  }

  /**
   * Re-reads kubelet's pod log directory names (`<namespace>_<pod>_<uid>/<container>/`), a
   * fallback for naming pods the API no longer knows. Returns whether anything changed.
   */
  private async refreshPodLogs(): Promise<boolean> {
    if (Date.now() - this.podLogsReadAt < POD_LOGS_MAX_AGE_MS) return false;
    this.podLogsReadAt = Date.now();
    const next: PodLogs = new Map();
    try {
      for (const dir of await readdir(this.config.podLogsDir, { withFileTypes: true })) {
        const parsed = dir.isDirectory() ? parsePodLogDirName(dir.name) : null;
        if (!parsed) continue;
        const containers = (
          await readdir(join(this.config.podLogsDir, dir.name), { withFileTypes: true })
        )
          .filter((d) => d.isDirectory())
          .map((d) => d.name);
        next.set(parsed.podUID, { ...parsed, containers });
      }
    } catch {
      // Not mounted or not readable: this fallback is simply unavailable.
    }
    const changed = JSON.stringify([...next]) !== JSON.stringify([...this.podLogs]);
    this.podLogs = next;
    return changed;
  }
}
