import {
  attribute,
  parseConmonCmdline,
  parseKubepodsCgroup,
  parseProcCgroup,
  splitCommandLine,
  type AttributionSource,
  type PodIndex,
  type PodLogDir,
  type WorkloadOwner,
} from '@koredump/attribution';
import {
  compressionOf,
  parseCoreFileName,
  type CoreFileInfo,
  type Compression,
} from '@koredump/coredump';
import {
  crashSummary,
  executableName,
  parseStackTrace,
  type CrashSummary,
  type SignatureFrame,
  type StackTrace,
} from '@koredump/crash';
import {
  INTEGER_FIELDS,
  signalName,
  usecToEpochMs,
  usecToIso,
  type JournalFields,
  type JournalValue,
} from '@koredump/journal';

export type { AttributionSource };

/** A core as the API serves it: journal fields plus what koredump derives. */
export interface CoreRecord {
  id: string;
  node: string;
  ARCH: string;
  size: number;
  compression: Compression;
  truncated: boolean;
  /** Crash time, epoch milliseconds (sort key). */
  timestamp: number;
  /** The host name of the node as the journal recorded it (`_HOSTNAME`). */
  hostname?: string;
  namespace?: string;
  pod?: string;
  container?: string;
  image?: string;
  imageID?: string;
  podUID?: string;
  containerID?: string;
  /** The controller of the pod (a ReplicaSet's Deployment, a StatefulSet, …) where known. */
  workload?: WorkloadOwner;
  attribution: { source: AttributionSource };
  /** Fields shortened or removed because the caller may not see sensitive data. */
  redacted?: string[];
  /** Hash of executable, signal and the crashing thread's top frames (see libs/crash). */
  signature?: string;
  /** The normalized frames the signature was made of. */
  topFrames?: SignatureFrame[];
  /** The parsed stack trace of MESSAGE (full record only: the index does not keep MESSAGE). */
  stacktrace?: StackTrace;
  [field: string]:
    | JournalValue
    | boolean
    | undefined
    | string[]
    | WorkloadOwner
    | { source: AttributionSource }
    | SignatureFrame[]
    | StackTrace;
}

export interface CoreSources {
  file: CoreFileInfo;
  /** Journal entry fields (all of them, or the list subset); undefined when the journal has none. */
  journal?: JournalFields;
  /** The crash summary of the index's journal entry, whose MESSAGE was dropped after parsing. */
  crash?: CrashSummary;
  /** `COREDUMP_*` values from the file's xattrs, used when the journal has no entry. */
  xattrs?: Record<string, string>;
  nodeName: string;
  arch: string;
  /** The node's pods from the Kubernetes API; undefined with FAKE_K8S=1. */
  podIndex?: PodIndex;
  /** kubelet's /var/log/pods directories by pod UID, when mounted. */
  podLogs?: ReadonlyMap<string, PodLogDir & { containers: readonly string[] }>;
}

/** The journal's identity fields of a crash: what people filter on and display. */
const IDENTITY_FIELDS = [
  'COREDUMP_PID',
  'COREDUMP_UID',
  'COREDUMP_GID',
  'COREDUMP_SIGNAL',
  'COREDUMP_SIGNAL_NAME',
  'COREDUMP_TIMESTAMP',
  'COREDUMP_COMM',
  'COREDUMP_EXE',
  'COREDUMP_CMDLINE',
  'COREDUMP_HOSTNAME',
] as const;

/** What attribution decides: the pod identity of a core and how it was found. */
export const ATTRIBUTION_FIELDS = [
  'namespace',
  'pod',
  'container',
  'image',
  'imageID',
  'workload',
  'attribution',
] as const;

/**
 * The fields of the compact list record. The `/proc` snapshots, environment, open fds, maps and
 * stack trace are only in the full record (metadata endpoint).
 */
export const LIST_FIELDS = [
  'id',
  'node',
  'hostname',
  'ARCH',
  ...IDENTITY_FIELDS,
  ...ATTRIBUTION_FIELDS,
  'podUID',
  'containerID',
  'size',
  'compression',
  'truncated',
  'timestamp',
  'signature',
] as const;

/** Journal fields the index reads for every core: the list fields plus what attribution needs. */
export const INDEX_JOURNAL_FIELDS = [
  ...IDENTITY_FIELDS,
  'COREDUMP_FILENAME',
  'COREDUMP_TRUNCATED',
  'COREDUMP_CGROUP',
  'COREDUMP_PROC_CGROUP',
  'COREDUMP_CONTAINER_CMDLINE',
  '_HOSTNAME',
  // Parsed into the signature and top frames when read, then dropped (see summarizeCrash).
  'MESSAGE',
] as const;

const XATTR_INTEGER = /^-?\d+$/;

/** xattr strings converted like journal fields (integers, ISO timestamp). */
function normalizeXattrs(xattrs: Record<string, string>): JournalFields {
  const out: JournalFields = {};
  for (const [key, value] of Object.entries(xattrs)) {
    if (key === 'COREDUMP_TIMESTAMP') out[key] = usecToIso(value) ?? value;
    else if (INTEGER_FIELDS.has(key) && XATTR_INTEGER.test(value)) out[key] = Number(value);
    else out[key] = value;
  }
  return out;
}

function str(v: JournalValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: JournalValue | undefined): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function attributeCore(
  fields: JournalFields,
  src: CoreSources,
): Pick<
  CoreRecord,
  | 'namespace'
  | 'pod'
  | 'container'
  | 'image'
  | 'imageID'
  | 'podUID'
  | 'containerID'
  | 'workload'
  | 'attribution'
> {
  const a = attribute({
    cgroup:
      parseKubepodsCgroup(str(fields.COREDUMP_CGROUP) ?? '') ??
      parseProcCgroup(str(fields.COREDUMP_PROC_CGROUP) ?? ''),
    conmon: parseConmonCmdline(str(fields.COREDUMP_CONTAINER_CMDLINE) ?? ''),
    utsHostname: str(fields.COREDUMP_HOSTNAME),
    nodeHostname: str(fields._HOSTNAME),
    podIndex: src.podIndex,
    podLogs: src.podLogs,
  });
  return {
    namespace: a.namespace,
    pod: a.pod,
    container: a.container,
    image: a.image,
    imageID: a.imageID,
    podUID: a.podUID,
    containerID: a.containerID,
    workload: a.owner,
    attribution: { source: a.source },
  };
}

/**
 * The signature and top frames of the stack trace in a journal entry's MESSAGE, or undefined.
 * The index keeps this instead of the message (a few hundred bytes instead of kilobytes per core).
 */
export function summarizeCrash(
  fields: JournalFields,
  trace: StackTrace | undefined = parseStackTrace(fields.MESSAGE, { crashingThreadOnly: true }),
): CrashSummary | undefined {
  return crashSummary(trace, {
    executable: executableName(str(fields.COREDUMP_EXE), str(fields.COREDUMP_COMM)),
    signal:
      str(fields.COREDUMP_SIGNAL_NAME) ??
      signalName(num(fields.COREDUMP_SIGNAL) ?? -1) ??
      num(fields.COREDUMP_SIGNAL),
  });
}

/**
 * Builds the record of one core. Precedence: journal entry, then xattrs, then the file name, then
 * stat; `node` is always the configured Kubernetes node name.
 */
export function buildCoreRecord(src: CoreSources): CoreRecord {
  const fromName = parseCoreFileName(src.file.id);
  const fields: JournalFields = {
    ...(src.xattrs ? normalizeXattrs(src.xattrs) : {}),
    ...src.journal,
  };
  if (fromName) {
    fields.COREDUMP_COMM ??= fromName.comm;
    fields.COREDUMP_UID ??= fromName.uid;
    fields.COREDUMP_PID ??= fromName.pid;
    fields.COREDUMP_TIMESTAMP ??= usecToIso(fromName.timestampUsec) ?? fromName.timestampUsec;
  }
  fields.COREDUMP_TIMESTAMP ??= usecToIso(Math.round(src.file.mtimeMs * 1000)) ?? '';
  const signal = num(fields.COREDUMP_SIGNAL);
  if (fields.COREDUMP_SIGNAL_NAME === undefined && signal !== undefined) {
    const name = signalName(signal);
    if (name) fields.COREDUMP_SIGNAL_NAME = name;
  }
  const isoTimestamp = str(fields.COREDUMP_TIMESTAMP);
  const timestamp =
    (isoTimestamp ? Date.parse(isoTimestamp) : NaN) ||
    (fromName ? usecToEpochMs(fromName.timestampUsec) : undefined) ||
    Math.round(src.file.mtimeMs);
  const hostname = str(fields._HOSTNAME);
  // With the whole entry (the full record) the message is parsed here; the index passes the
  // summary it made when it read the entry.
  const stacktrace = parseStackTrace(fields.MESSAGE);
  const crash = stacktrace ? summarizeCrash(fields, stacktrace) : src.crash;
  return {
    ...fields,
    ...attributeCore(fields, src),
    id: src.file.id,
    node: src.nodeName,
    ARCH: src.arch,
    hostname,
    size: src.file.size,
    compression: compressionOf(src.file.id),
    truncated: fields.COREDUMP_TRUNCATED === '1' || fields.COREDUMP_TRUNCATED === 1,
    timestamp,
    signature: crash?.signature,
    topFrames: crash?.topFrames,
    stacktrace,
  };
}

/** The compact list view of a record: only LIST_FIELDS, undefined values dropped. */
export function toListRecord(record: CoreRecord): Partial<CoreRecord> {
  const out: Partial<CoreRecord> = {};
  for (const key of LIST_FIELDS) {
    const value = record[key];
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

/** The full record with undefined values dropped and keys sorted (the original's order). */
export function toFullRecord(record: CoreRecord): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort()
      .map((k) => [k, record[k]]),
  );
}

/** Journal fields that expose the crashed process's secrets: environment, /proc snapshots, fds. */
function isSensitiveField(key: string): boolean {
  return (
    key === 'COREDUMP_ENVIRON' || key === 'COREDUMP_OPEN_FDS' || key.startsWith('COREDUMP_PROC_')
  );
}

/**
 * The record for a caller without `get coredumps/sensitive`: sensitive fields removed, the command
 * line cut to the program (arguments often carry credentials), `redacted` naming what was cut.
 */
export function redactRecord<T extends object>(record: T): T {
  const out: Record<string, unknown> = {};
  const redacted: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (isSensitiveField(key)) {
      redacted.push(key);
    } else if (key === 'COREDUMP_CMDLINE' && typeof value === 'string') {
      const program = splitCommandLine(value)[0] ?? '';
      out[key] = program;
      if (program !== value) redacted.push(key);
    } else {
      out[key] = value;
    }
  }
  if (redacted.length) out.redacted = redacted.sort();
  return out as T;
}
