import 'reflect-metadata';

import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

const lowerCase = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.toLowerCase() : value,
);

/** An on/off variable: 1/0 or true/false (any case); unset or empty means its default. */
export function EnvFlag(name: string): PropertyDecorator {
  const allowed = IsIn(['1', '0', 'true', 'false', ''], {
    message: `${name} must be 1 or 0 (or true/false)`,
  });
  return (target, key) => {
    lowerCase(target, key);
    allowed(target, key);
  };
}

/** The value of an EnvFlag variable. */
export function flagValue(value: string | undefined, fallback: boolean): boolean {
  return value === undefined || value === '' ? fallback : value === '1' || value === 'true';
}

/**
 * The environment every koredump server reads: listen address, auth, Kubernetes, logging. Each
 * app's env class extends it with its own variables (and its PORT default).
 */
export class ServerEnv {
  @IsOptional()
  @IsString()
  @MinLength(1)
  HOST = '0.0.0.0';

  @IsOptional()
  @EnvFlag('NO_TOKENS')
  NO_TOKENS?: string;

  @IsOptional()
  @EnvFlag('FAKE_K8S')
  FAKE_K8S?: string;

  @IsOptional()
  @EnvFlag('KOREDUMP_METRICS')
  KOREDUMP_METRICS?: string;

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

  /** Seconds between `: heartbeat` comments on /apiv1/cores/watch streams. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3600)
  KOREDUMP_WATCH_HEARTBEAT_S = 15;

  /** Concurrent /apiv1/cores/watch streams; more are refused with 503. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  KOREDUMP_WATCH_MAX_CLIENTS = 1000;

  @IsOptional()
  @lowerCase
  @IsIn(['text', 'json'])
  KOREDUMP_LOG_FORMAT: 'text' | 'json' = 'text';
}

/** The typed settings every server derives from ServerEnv. */
export interface ServerSettings {
  host: string;
  authDisabled: boolean;
  fakeK8s: boolean;
  authMode: 'rbac' | 'authenticated';
  tokenAudiences: readonly string[];
  authCacheTtlMs: number;
  logFormat: 'text' | 'json';
  /** KOREDUMP_METRICS (default 1): serve GET /metrics and time requests. */
  metricsEnabled: boolean;
  /** Heartbeat interval of watch streams. */
  watchHeartbeatMs: number;
  /** Concurrent watch streams allowed. */
  watchMaxClients: number;
}

/**
 * Validates `env` against an env class: the parsed values and one message per bad variable (the
 * caller adds its own checks and throws once with all of them).
 */
export function parseEnv<T extends ServerEnv>(
  envClass: new () => T,
  env: NodeJS.ProcessEnv,
): { parsed: T; problems: string[] } {
  // Fields without a default are not own properties everywhere: name the unprefixed ones.
  const known = [...Object.keys(new envClass()), 'NO_TOKENS', 'FAKE_K8S', 'HOST', 'PORT'];
  const raw = Object.fromEntries(
    Object.entries(env).filter(
      ([k, v]) => v !== undefined && v !== '' && (known.includes(k) || k.startsWith('KOREDUMP_')),
    ),
  );
  const parsed = plainToInstance(envClass, raw);
  const problems = validateSync(parsed, { forbidUnknownValues: false }).flatMap((e) =>
    Object.values(e.constraints ?? {}).map(
      (m) => `${e.property}=${JSON.stringify(raw[e.property])}: ${m}`,
    ),
  );
  return { parsed, problems };
}

export function serverSettings(parsed: ServerEnv): ServerSettings {
  return {
    host: parsed.HOST,
    authDisabled: flagValue(parsed.NO_TOKENS, false),
    fakeK8s: flagValue(parsed.FAKE_K8S, false),
    authMode: parsed.KOREDUMP_AUTH_MODE,
    tokenAudiences: (parsed.KOREDUMP_TOKEN_AUDIENCES ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean),
    authCacheTtlMs: parsed.KOREDUMP_AUTH_CACHE_TTL_S * 1000,
    logFormat: parsed.KOREDUMP_LOG_FORMAT,
    metricsEnabled: flagValue(parsed.KOREDUMP_METRICS, true),
    watchHeartbeatMs: parsed.KOREDUMP_WATCH_HEARTBEAT_S * 1000,
    watchMaxClients: parsed.KOREDUMP_WATCH_MAX_CLIENTS,
  };
}
