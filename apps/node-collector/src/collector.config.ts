import 'reflect-metadata';

import { EnvFlag, ServerEnv, flagValue, parseEnv, serverSettings } from '@koredump/http';
import { Type } from 'class-transformer';
import {
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { hostname } from 'node:os';

/** The environment the collector reads, validated once at boot. */
class CollectorEnv extends ServerEnv {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 5001;

  @IsOptional()
  @IsString()
  @Matches(/^\//, { message: 'KOREDUMP_COREDUMP_DIR must be an absolute path' })
  KOREDUMP_COREDUMP_DIR = '/var/lib/systemd/coredump';

  @IsOptional()
  @IsString()
  @Matches(/^\//, { message: 'KOREDUMP_JOURNAL_DIR must be an absolute path' })
  KOREDUMP_JOURNAL_DIR?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(253)
  KOREDUMP_NODE_NAME?: string;

  @IsOptional()
  @IsString()
  KOREDUMP_NAMESPACE_REGEX?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(86400)
  KOREDUMP_RESCAN_INTERVAL_S = 60;

  @IsOptional()
  @IsString()
  @Matches(/^\//, { message: 'KOREDUMP_POD_LOGS_DIR must be an absolute path' })
  KOREDUMP_POD_LOGS_DIR = '/var/log/pods';

  @IsOptional()
  @EnvFlag('KOREDUMP_EVENTS')
  KOREDUMP_EVENTS?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(86400)
  KOREDUMP_EVENTS_WINDOW_S = 600;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(86400)
  KOREDUMP_EVENTS_LOOKBACK_S = 3600;

  @IsOptional()
  @IsString()
  @Matches(/^\//, { message: 'KOREDUMP_KERNEL_SYSCTL_DIR must be an absolute path' })
  KOREDUMP_KERNEL_SYSCTL_DIR = '/proc/sys/kernel';

  @IsOptional()
  @IsString()
  @Matches(/^\//, { message: 'KOREDUMP_HOST_ROOT must be an absolute path' })
  KOREDUMP_HOST_ROOT = '/';
}

/** Typed collector configuration; also the DI token (tests construct it directly). */
export abstract class CollectorConfig {
  abstract readonly port: number;
  abstract readonly host: string;
  abstract readonly coreDir: string;
  /** journalctl -D directory; undefined reads the host's journal (/var/log/journal and /run/log/journal). */
  abstract readonly journalDir?: string;
  /** The Kubernetes node name every core is reported under. */
  abstract readonly nodeName: string;
  /** Only cores whose namespace fully matches are served; cores with no known namespace are hidden. */
  abstract readonly namespaceFilter?: RegExp;
  abstract readonly authDisabled: boolean;
  abstract readonly fakeK8s: boolean;
  abstract readonly rescanIntervalMs: number;
  abstract readonly logFormat: 'text' | 'json';
  /** rbac (default): SubjectAccessReview per namespace; authenticated: any valid token sees all. */
  abstract readonly authMode: 'rbac' | 'authenticated';
  /** TokenReview audiences; empty: the API server's default. */
  abstract readonly tokenAudiences: readonly string[];
  /** How long TokenReview/SubjectAccessReview answers are reused (denials: a sixth of it). */
  /** Heartbeat interval of /apiv1/cores/watch streams (KOREDUMP_WATCH_HEARTBEAT_S). */
  abstract readonly watchHeartbeatMs: number;
  /** Concurrent watch streams; more get 503 (KOREDUMP_WATCH_MAX_CLIENTS). */
  abstract readonly watchMaxClients: number;
  abstract readonly authCacheTtlMs: number;
  /** kubelet's pod log directory, a fallback for naming pods (when mounted). */
  abstract readonly podLogsDir: string;
  /** Kubernetes Events (reason CoreDumped) on the pods whose cores are indexed. */
  abstract readonly events: {
    readonly enabled: boolean;
    /** At most one new event per pod per window; later crashes in it update that event. */
    readonly windowMs: number;
    /** Older cores are never reported (a restarted collector does not flood old cores). */
    readonly lookbackMs: number;
  };
  /** The host's kernel sysctls (core_pattern, core_pipe_limit, core_uses_pid). */
  abstract readonly kernelSysctlDir: string;
  /** The host's / as mounted: systemd's coredump.conf and drop-ins are read below it. */
  abstract readonly hostRoot: string;
  /** KOREDUMP_METRICS (default on): GET /metrics, exempt from token auth like the probes. */
  abstract readonly metricsEnabled: boolean;
}

export class ConfigError extends Error {}

/** Validates `env` and maps it to a CollectorConfig; throws one ConfigError listing every bad variable. */
export function loadCollectorConfig(env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  const { parsed, problems } = parseEnv(CollectorEnv, env);
  let namespaceFilter: RegExp | undefined;
  if (parsed.KOREDUMP_NAMESPACE_REGEX) {
    try {
      // Anchored: the filter is a full match, unlike the original's prefix match.
      namespaceFilter = new RegExp(`^(?:${parsed.KOREDUMP_NAMESPACE_REGEX})$`);
    } catch (err) {
      problems.push(
        `KOREDUMP_NAMESPACE_REGEX: not a valid regular expression (${(err as Error).message})`,
      );
    }
  }
  if (problems.length) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return {
    ...serverSettings(parsed),
    port: parsed.PORT,
    coreDir: parsed.KOREDUMP_COREDUMP_DIR.replace(/\/+$/, '') || '/',
    journalDir: parsed.KOREDUMP_JOURNAL_DIR,
    nodeName: parsed.KOREDUMP_NODE_NAME ?? hostname(),
    namespaceFilter,
    rescanIntervalMs: parsed.KOREDUMP_RESCAN_INTERVAL_S * 1000,
    podLogsDir: parsed.KOREDUMP_POD_LOGS_DIR,
    events: {
      enabled: flagValue(parsed.KOREDUMP_EVENTS, true),
      windowMs: parsed.KOREDUMP_EVENTS_WINDOW_S * 1000,
      lookbackMs: parsed.KOREDUMP_EVENTS_LOOKBACK_S * 1000,
    },
    kernelSysctlDir: parsed.KOREDUMP_KERNEL_SYSCTL_DIR,
    hostRoot: parsed.KOREDUMP_HOST_ROOT,
  };
}
