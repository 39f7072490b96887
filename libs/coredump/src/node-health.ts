import {
  effectiveVacuumLimits,
  formatIecSize,
  type ConfProblem,
  type CoredumpConfig,
} from './coredump-conf.js';

/** One way the node is not set up to keep (whole) cores. `code` is stable; `message` is for people. */
export interface NodeHealthWarning {
  code:
    | 'core-pattern-unreadable'
    | 'core-pattern-not-systemd-coredump'
    | 'coredump-conf-invalid'
    | 'storage-none'
    | 'storage-journal'
    | 'external-size-max-below-pod-memory'
    | 'process-size-max-below-pod-memory'
    | 'max-use-nearly-reached'
    | 'keep-free-nearly-reached'
    | 'disk-nearly-full'
    | 'coredump-dir-unreadable'
    | 'journal-unreadable';
  message: string;
}

/** What the collector found out about its node; everything optional that may be unknown. */
export interface NodeHealthFacts {
  corePattern?: string;
  corePatternError?: string;
  conf: CoredumpConfig;
  confProblems: readonly ConfProblem[];
  /** Sum of the cores' sizes in the coredump directory. */
  usedBytes?: number;
  filesystemBytes?: number;
  /** Free bytes as systemd's vacuum counts them (f_bfree: including root's reserve). */
  filesystemFreeBytes?: number;
  coreDirError?: string;
  journalReadable: boolean;
  journalError?: string;
  largestPodMemoryLimit?: { bytes: number; quantity: string; pod: string; container: string };
}

/** A share of MaxUse/KeepFree/the disk at which the limit counts as "close". */
const NEARLY = 0.9;
/** Below this share of the filesystem free, the disk counts as nearly full. */
const DISK_NEARLY_FULL_FREE_SHARE = 0.05;

/**
 * Whether core_pattern hands cores to systemd-coredump: a pipe (`|`) to a program named
 * systemd-coredump (/usr/lib/systemd/…, /lib/systemd/…, anywhere).
 */
export function pipesToSystemdCoredump(corePattern: string): boolean {
  return /^\|\s*(?:\S*\/)?systemd-coredump(?:\s|$)/.test(corePattern.trim());
}

/**
 * The warnings for a node's facts, in a fixed order (kernel, configuration, space, journal).
 * Pure: the same facts always give the same warnings.
 */
export function nodeHealthWarnings(f: NodeHealthFacts): NodeHealthWarning[] {
  const out: NodeHealthWarning[] = [];
  const add = (code: NodeHealthWarning['code'], message: string): void => {
    out.push({ code, message });
  };
  if (f.corePattern === undefined) {
    add(
      'core-pattern-unreadable',
      `cannot read kernel.core_pattern${f.corePatternError ? ` (${f.corePatternError})` : ''}: whether cores reach systemd-coredump is unknown`,
    );
  } else if (!pipesToSystemdCoredump(f.corePattern)) {
    add(
      'core-pattern-not-systemd-coredump',
      `kernel.core_pattern is ${JSON.stringify(f.corePattern)}, not a pipe to systemd-coredump: koredump will not see the cores`,
    );
  }
  for (const p of f.confProblems) {
    add('coredump-conf-invalid', `${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
  }
  const { conf } = f;
  if (conf.storage === 'none') {
    add('storage-none', 'Storage=none: systemd-coredump keeps no core files, only a log entry');
  } else if (conf.storage === 'journal') {
    add(
      'storage-journal',
      'Storage=journal: cores go into the journal, not into files koredump can serve',
    );
  }
  const limit = f.largestPodMemoryLimit;
  if (limit && conf.storage === 'external') {
    const where = `the largest pod memory limit on the node (${limit.quantity}, ${limit.pod} container ${limit.container})`;
    if (conf.externalSizeMax !== null && conf.externalSizeMax < limit.bytes) {
      add(
        'external-size-max-below-pod-memory',
        `ExternalSizeMax=${formatIecSize(conf.externalSizeMax)} is below ${where}: cores will be truncated`,
      );
    } else if (conf.processSizeMax < limit.bytes) {
      add(
        'process-size-max-below-pod-memory',
        `ProcessSizeMax=${formatIecSize(conf.processSizeMax)} is below ${where}: larger cores get no stack trace`,
      );
    }
  }
  if (conf.storage === 'external' && f.usedBytes !== undefined) {
    const { maxUse, keepFree } = effectiveVacuumLimits(conf, f.filesystemBytes);
    if (maxUse > 0 && f.usedBytes >= maxUse * NEARLY) {
      add(
        'max-use-nearly-reached',
        `cores use ${formatIecSize(f.usedBytes)} of MaxUse=${formatIecSize(maxUse)}: systemd-coredump deletes the oldest cores to stay below it`,
      );
    }
    if (
      keepFree > 0 &&
      f.filesystemFreeBytes !== undefined &&
      f.filesystemFreeBytes * NEARLY <= keepFree
    ) {
      add(
        'keep-free-nearly-reached',
        `${formatIecSize(f.filesystemFreeBytes)} free on the coredump filesystem, KeepFree=${formatIecSize(keepFree)}: systemd-coredump deletes the oldest cores to keep that free`,
      );
    }
  }
  if (
    f.filesystemBytes &&
    f.filesystemFreeBytes !== undefined &&
    f.filesystemFreeBytes < f.filesystemBytes * DISK_NEARLY_FULL_FREE_SHARE
  ) {
    add(
      'disk-nearly-full',
      `the coredump filesystem is nearly full (${formatIecSize(f.filesystemFreeBytes)} of ${formatIecSize(f.filesystemBytes)} free): new cores may not fit`,
    );
  }
  if (f.coreDirError) {
    add('coredump-dir-unreadable', `cannot read the coredump directory: ${f.coreDirError}`);
  }
  if (!f.journalReadable) {
    add(
      'journal-unreadable',
      `the journal is not readable${f.journalError ? ` (${f.journalError})` : ''}: cores lack their metadata and stack traces`,
    );
  }
  return out;
}
