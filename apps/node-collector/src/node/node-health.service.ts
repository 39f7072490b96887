import { Injectable } from '@nestjs/common';
import type {
  CoredumpConfDto,
  CoreStorageDto,
  KernelCoreSettingsDto,
  NodeHealthDto,
  NodePodsDto,
} from '@koredump/api';
import {
  effectiveVacuumLimits,
  nodeHealthWarnings,
  pipesToSystemdCoredump,
  readHostCoredumpConf,
} from '@koredump/coredump';
import { packageVersion } from '@koredump/http';
import { readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';

import { CollectorConfig } from '../collector.config.js';
import { CoreCatalog } from '../cores/core-catalog.js';

const VERSION = packageVersion(__dirname);

/** A sysctl's value without the trailing newline, or the error. */
async function readSysctl(dir: string, name: string): Promise<{ value?: string; error?: string }> {
  try {
    return { value: (await readFile(join(dir, name), 'utf8')).replace(/\n$/, '') };
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
}

function integer(text: string | undefined): number | undefined {
  return text !== undefined && /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

/**
 * Whether this node is set up to keep cores: the host's core_pattern, systemd-coredump's
 * effective configuration, the coredump directory's space, the journal reader and the pods'
 * memory limits, plus the warnings they add up to (nodeHealthWarnings). Read on every request:
 * a handful of small files and one statfs.
 */
@Injectable()
export class NodeHealthService {
  constructor(
    private readonly config: CollectorConfig,
    private readonly catalog: CoreCatalog,
  ) {}

  async report(now = new Date()): Promise<NodeHealthDto> {
    const [pattern, pipeLimit, usesPid, conf, fs] = await Promise.all([
      readSysctl(this.config.kernelSysctlDir, 'core_pattern'),
      readSysctl(this.config.kernelSysctlDir, 'core_pipe_limit'),
      readSysctl(this.config.kernelSysctlDir, 'core_uses_pid'),
      readHostCoredumpConf(this.config.hostRoot),
      statfs(this.catalog.coreDir).then(
        (s) => ({
          total: s.blocks * s.bsize,
          free: s.bfree * s.bsize,
          available: s.bavail * s.bsize,
        }),
        (err: NodeJS.ErrnoException) => ({ error: err.code ?? err.message }),
      ),
    ]);
    const usage = this.catalog.usage();
    const status = this.catalog.status();
    const limits = this.catalog.podMemoryLimits();
    const filesystemBytes = 'total' in fs ? fs.total : undefined;

    const corePipeLimit = integer(pipeLimit.value);
    const coreUsesPid = integer(usesPid.value);
    const kernel: KernelCoreSettingsDto = {
      ...(pattern.value !== undefined ? { corePattern: pattern.value } : {}),
      pipesToSystemdCoredump: pattern.value !== undefined && pipesToSystemdCoredump(pattern.value),
      ...(corePipeLimit !== undefined ? { corePipeLimit } : {}),
      ...(coreUsesPid !== undefined ? { coreUsesPid: coreUsesPid !== 0 } : {}),
      ...(pattern.error ? { error: pattern.error } : {}),
    };
    const effective = effectiveVacuumLimits(conf.config, filesystemBytes);
    const coredumpConf: CoredumpConfDto = {
      ...conf.config,
      maxUseEffective: effective.maxUse,
      keepFreeEffective: effective.keepFree,
      files: conf.files,
      sources: conf.sources,
    };
    const storage: CoreStorageDto = {
      path: this.catalog.coreDir,
      cores: usage.cores,
      usedBytes: usage.bytes,
      ...('total' in fs
        ? {
            filesystemBytes: fs.total,
            filesystemFreeBytes: fs.free,
            filesystemAvailableBytes: fs.available,
          }
        : { error: fs.error }),
      ...(usage.oldestTimestamp !== undefined
        ? {
            oldestCoreAt: new Date(usage.oldestTimestamp).toISOString(),
            oldestCoreAgeSeconds: Math.max(
              0,
              Math.floor((now.getTime() - usage.oldestTimestamp) / 1000),
            ),
          }
        : {}),
    };
    const pods: NodePodsDto | undefined =
      status.pods && limits
        ? {
            synced: status.pods.synced,
            known: status.pods.known,
            ...(limits.largest ? { largestMemoryLimit: limits.largest } : {}),
            podsWithoutMemoryLimit: limits.podsWithoutLimit,
          }
        : undefined;
    const journalError = status.journalFollowing ? undefined : status.journalError;
    const warnings = nodeHealthWarnings({
      corePattern: pattern.value,
      corePatternError: pattern.error,
      conf: conf.config,
      confProblems: conf.problems,
      usedBytes: usage.bytes,
      filesystemBytes,
      filesystemFreeBytes: 'free' in fs ? fs.free : undefined,
      coreDirError: 'error' in fs ? fs.error : undefined,
      journalReadable: status.journalFollowing,
      journalError,
      largestPodMemoryLimit: limits?.largest,
    });
    return {
      node: this.config.nodeName,
      version: VERSION,
      checkedAt: now.toISOString(),
      kernel,
      coredumpConf,
      storage,
      journal: {
        readable: status.journalFollowing,
        ...(journalError ? { error: journalError } : {}),
      },
      ...(pods ? { pods } : {}),
      warnings,
    };
  }
}
