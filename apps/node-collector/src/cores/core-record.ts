import {
  parseConmonCmdline,
  parseKubepodsCgroup,
  parseProcCgroup,
  type CgroupPodRef,
  type ConmonRef,
} from '@koredump/attribution';
import {
  compressionOf,
  parseCoreFileName,
  type CoreFileInfo,
  type Compression,
} from '@koredump/coredump';
import {
  INTEGER_FIELDS,
  signalName,
  usecToEpochMs,
  usecToIso,
  type JournalFields,
  type JournalValue,
} from '@koredump/journal';

/** How a core's pod identity was worked out (more sources arrive with the Kubernetes API). */
export type AttributionSource = 'conmon' | 'hostname' | 'none';

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
  podUID?: string;
  containerID?: string;
  attribution: { source: AttributionSource };
  [field: string]: JournalValue | boolean | undefined | { source: AttributionSource };
}

export interface CoreSources {
  file: CoreFileInfo;
  /** Journal entry fields (all of them, or the list subset); undefined when the journal has none. */
  journal?: JournalFields;
  /** `COREDUMP_*` values from the file's xattrs, used when the journal has no entry. */
  xattrs?: Record<string, string>;
  nodeName: string;
  arch: string;
}

/**
 * The fields of the compact list record. The `/proc` snapshots, environment, open fds, maps and
 * stack trace are only in the full record (metadata endpoint).
 */
export const LIST_FIELDS = [
  'id',
  'node',
  'hostname',
  'ARCH',
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
  'namespace',
  'pod',
  'container',
  'image',
  'podUID',
  'containerID',
  'attribution',
  'size',
  'compression',
  'truncated',
  'timestamp',
] as const;

/** Journal fields the index reads for every core: the list fields plus what attribution needs. */
export const INDEX_JOURNAL_FIELDS = [
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
  'COREDUMP_FILENAME',
  'COREDUMP_TRUNCATED',
  'COREDUMP_CGROUP',
  'COREDUMP_PROC_CGROUP',
  'COREDUMP_CONTAINER_CMDLINE',
  '_HOSTNAME',
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

function attribute(
  fields: JournalFields,
  nodeHostname: string | undefined,
): Pick<CoreRecord, 'namespace' | 'pod' | 'container' | 'podUID' | 'containerID' | 'attribution'> {
  const cgroup: CgroupPodRef | null =
    parseKubepodsCgroup(str(fields.COREDUMP_CGROUP) ?? '') ??
    parseProcCgroup(str(fields.COREDUMP_PROC_CGROUP) ?? '');
  const conmon: ConmonRef | null = parseConmonCmdline(str(fields.COREDUMP_CONTAINER_CMDLINE) ?? '');
  const podUID = cgroup?.podUID ?? conmon?.podUID;
  const containerID = cgroup?.containerID ?? conmon?.containerID;
  const base = { podUID, containerID };
  if (conmon?.pod && conmon.namespace) {
    return {
      ...base,
      namespace: conmon.namespace,
      pod: conmon.pod,
      container: conmon.container,
      attribution: { source: 'conmon' },
    };
  }
  // Inside a pod the UTS hostname is the pod's name, unless the pod shares the node's network
  // (hostNetwork), where it is the node's: then it names nothing and is not used.
  const utsHostname = str(fields.COREDUMP_HOSTNAME);
  if (podUID && utsHostname && utsHostname !== nodeHostname) {
    return {
      ...base,
      pod: utsHostname,
      container: conmon?.container,
      attribution: { source: 'hostname' },
    };
  }
  return { ...base, container: conmon?.container, attribution: { source: 'none' } };
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
  return {
    ...fields,
    ...attribute(fields, hostname),
    id: src.file.id,
    node: src.nodeName,
    ARCH: src.arch,
    hostname,
    size: src.file.size,
    compression: compressionOf(src.file.id),
    truncated: fields.COREDUMP_TRUNCATED === '1' || fields.COREDUMP_TRUNCATED === 1,
    timestamp,
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
