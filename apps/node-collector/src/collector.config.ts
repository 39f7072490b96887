import 'reflect-metadata';

import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import { hostname } from 'node:os';

/** The environment the collector reads, validated once at boot. */
class CollectorEnv {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 5001;

  @IsOptional()
  @IsString()
  @MinLength(1)
  HOST = '0.0.0.0';

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
  @IsIn(['0', '1', ''], { message: 'NO_TOKENS must be 1 or 0' })
  NO_TOKENS?: string;

  @IsOptional()
  @IsIn(['0', '1', ''], { message: 'FAKE_K8S must be 1 or 0' })
  FAKE_K8S?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(86400)
  KOREDUMP_RESCAN_INTERVAL_S = 60;

  @IsOptional()
  @IsIn(['rbac', 'authenticated'], { message: 'KOREDUMP_AUTH_MODE must be rbac or authenticated' })
  KOREDUMP_AUTH_MODE: 'rbac' | 'authenticated' = 'rbac';

  @IsOptional()
  @IsString()
  KOREDUMP_TOKEN_AUDIENCES?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3600)
  KOREDUMP_AUTH_CACHE_TTL_S = 60;

  @IsOptional()
  @IsString()
  @Matches(/^\//, { message: 'KOREDUMP_POD_LOGS_DIR must be an absolute path' })
  KOREDUMP_POD_LOGS_DIR = '/var/log/pods';

  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.toLowerCase() : value,
  )
  @IsIn(['text', 'json'])
  KOREDUMP_LOG_FORMAT: 'text' | 'json' = 'text';
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
  abstract readonly authCacheTtlMs: number;
  /** kubelet's pod log directory, a fallback for naming pods (when mounted). */
  abstract readonly podLogsDir: string;
}

export class ConfigError extends Error {}

/** Validates `env` and maps it to a CollectorConfig; throws one ConfigError listing every bad variable. */
export function loadCollectorConfig(env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  const known = Object.keys(new CollectorEnv());
  const raw = Object.fromEntries(
    Object.entries(env).filter(
      ([k, v]) =>
        v !== undefined &&
        v !== '' &&
        (known.includes(k) || k.startsWith('KOREDUMP_') || ['NO_TOKENS', 'FAKE_K8S'].includes(k)),
    ),
  );
  const parsed = plainToInstance(CollectorEnv, raw);
  const problems = validateSync(parsed, { forbidUnknownValues: false }).flatMap((e) =>
    Object.values(e.constraints ?? {}).map(
      (m) => `${e.property}=${JSON.stringify(raw[e.property])}: ${m}`,
    ),
  );
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
    port: parsed.PORT,
    host: parsed.HOST,
    coreDir: parsed.KOREDUMP_COREDUMP_DIR.replace(/\/+$/, '') || '/',
    journalDir: parsed.KOREDUMP_JOURNAL_DIR,
    nodeName: parsed.KOREDUMP_NODE_NAME ?? hostname(),
    namespaceFilter,
    authDisabled: parsed.NO_TOKENS === '1',
    fakeK8s: parsed.FAKE_K8S === '1',
    rescanIntervalMs: parsed.KOREDUMP_RESCAN_INTERVAL_S * 1000,
    logFormat: parsed.KOREDUMP_LOG_FORMAT,
    authMode: parsed.KOREDUMP_AUTH_MODE,
    tokenAudiences: (parsed.KOREDUMP_TOKEN_AUDIENCES ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean),
    authCacheTtlMs: parsed.KOREDUMP_AUTH_CACHE_TTL_S * 1000,
    podLogsDir: parsed.KOREDUMP_POD_LOGS_DIR,
  };
}
